// Every change the pages' scripts ask of the server (a POST) carries this browser session's CSRF
// token, from the page's <meta name="csrf-token">: the server refuses a POST without it. Loaded
// first on every page, so no script has to remember it.
(() => {
  const token = document.querySelector('meta[name="csrf-token"]')?.content;
  const plainFetch = window.fetch.bind(window);
  window.fetch = (resource, options = {}) => {
    const method = (options.method || "GET").toUpperCase();
    if (token && !["GET", "HEAD", "OPTIONS"].includes(method)) {
      const headers = new Headers(options.headers || {});
      headers.set("X-CSRF-Token", token);
      options = { ...options, headers };
    }
    return plainFetch(resource, options);
  };
})();

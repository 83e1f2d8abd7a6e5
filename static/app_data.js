// What the server tells a page's scripts — the page's records, constants and URLs — in one JSON
// island, <script type="application/json" id="app-data"> (the `app_data` macro of macros.html).
// Every script reads it here: a constant or URL of the page is in no data-* attribute and in no script.
const island = document.getElementById("app-data");
export const appData = island ? JSON.parse(island.textContent) : {};

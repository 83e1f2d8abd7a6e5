"""What is said in the labelled lesson stretches (benchmarks/lesson_set.py), per split.

Every list is per split and the splits share no text and no phrasing: a lesson of `test` says no
question, statement, naming form, reply or tag that a `dev` lesson says, so that the accuracy on
test is on words the engine was never tuned on. Names are "{n}" (the roster spelling goes in the
label, the respelling from labelled_set.SAID to the voice). Pupils' lines are only synthesised,
never labelled (privacy: the app never transcribes pupils either).
"""

STATEMENTS = {
    "dev": [
        "Today we are going to look at how heat moves from one thing to another.",
        "Heat always flows from the warmer object to the cooler one.",
        "When you touch something cold, heat is leaving your hand.",
        "Metals let heat travel through them very quickly.",
        "Wood and plastic are much slower, so we call them insulators.",
        "Let's write the word conductor in the margin.",
        "Last lesson we measured the temperature of three cups of water.",
        "The cup with the lid stayed warm for the longest time.",
        "A triangle is half of a rectangle with the same base and height.",
        "So we multiply the base by the height and then halve it.",
        "Remember to write the units at the end of every answer.",
        "In the poem, the speaker repeats the same line three times.",
        "Repetition can make a feeling stronger each time we hear it.",
        "The Romans built roads that were remarkably straight.",
        "Many of our towns still follow the lines of those old roads.",
        "Earthquakes happen where the plates of the crust meet.",
        "The plates move only a few centimetres every year.",
        "Weather is what happens on a single day.",
        "Climate is the pattern we see over thirty years or more.",
        "I want you to underline the key sentence in each paragraph.",
        "We will come back to this idea at the end of the lesson.",
        "This is the part that most people find tricky, so take it slowly.",
        "Copy the diagram into your book and label the arrows.",
        "A fair test changes only one thing at a time.",
        "Everything else has to stay exactly the same.",
        "The author never tells us what happens to the boy.",
        "Good writers leave space for the reader to think.",
        "A river carries sand and stones down towards the sea.",
        "On the outside of a bend the water flows faster.",
        "Over many years the bend grows wider and wider.",
    ],
    "test": [
        "This morning we are starting a new topic on food chains.",
        "Every food chain begins with a plant that captures sunlight.",
        "Animals that eat only plants are called herbivores.",
        "The arrows in a food chain show where the energy goes.",
        "If one animal disappears, the whole web can change.",
        "Fractions are just another way of sharing something equally.",
        "The number on the bottom tells us how many parts there are.",
        "Two quarters make exactly one half.",
        "The Victorians built railways across the whole country.",
        "Trains made it possible to travel to the seaside for a day.",
        "Factories drew families away from the countryside.",
        "A volcano forms where melted rock pushes up through the crust.",
        "Some volcanoes have not erupted for thousands of years.",
        "A persuasive letter needs a clear opinion in the first line.",
        "Each paragraph should give one strong reason.",
        "Notice how the writer speaks directly to the reader.",
        "Sound travels as vibrations through the air.",
        "A louder sound makes bigger vibrations.",
        "Light travels much faster than sound does.",
        "That is why we see lightning before we hear the thunder.",
        "Magnets pull on some metals but not on others.",
        "Iron and nickel are attracted, but copper is not.",
        "Write today's date and the title at the top of the page.",
        "Leave a line between each answer so it is easy to mark.",
        "The character changes a great deal by the final chapter.",
        "At the start she is shy, but by the end she leads the group.",
        "Rainforests hold more kinds of living things than anywhere else.",
        "Most of the rain that falls there comes back as water vapour.",
        "Percentages are fractions out of one hundred.",
        "Fifty percent is the same as one half.",
    ],
}

# Posed questions and, for each, the same question asked again differently (a rephrase).
POSED = {
    "dev": [
        ("Why does a metal spoon get hot in a cup of tea?",
         "What is happening to the heat when the spoon warms up?"),
        ("What makes a good insulator?", "Which materials would you pick to keep something warm?"),
        ("How would you work out the area of this triangle?",
         "What two measurements do we need for the area?"),
        ("What feeling does the repeated line give you?",
         "Why do you think the poet says it three times?"),
        ("Why were Roman roads so straight?", "What did the Romans gain from building straight roads?"),
        ("Where would you expect an earthquake to happen?",
         "Which places on the map are most at risk?"),
        ("What is the difference between weather and climate?",
         "How is today's weather different from our climate?"),
        ("What would you change to make the test fairer?",
         "Which thing should stay the same each time?"),
        ("Why do you think the author leaves the ending open?",
         "What might the author want us to wonder about?"),
        ("How does a river bend get bigger over time?",
         "What is the water doing on the outside of the bend?"),
        ("What do you notice about these two graphs?", "How are the two graphs alike?"),
        ("Which answer would you choose, and why?", "What made you rule out the other options?"),
        ("How could we check that this answer makes sense?",
         "What would a quick estimate tell us here?"),
        ("What is the most important word in this sentence?",
         "Which word carries the meaning of the sentence?"),
    ],
    "test": [
        ("What would happen to the foxes if the rabbits disappeared?",
         "How would losing the rabbits change things for the foxes?"),
        ("Where does the energy in a food chain come from?",
         "What starts off every food chain?"),
        ("How many quarters are there in three wholes?",
         "If I cut three pizzas into quarters, how many pieces do I have?"),
        ("Why did so many families move to the towns?",
         "What pulled people away from their farms?"),
        ("How did the railways change people's holidays?",
         "What could families do once the trains arrived?"),
        ("Why do some volcanoes stay quiet for so long?",
         "What keeps a volcano from erupting?"),
        ("What makes this letter persuasive?", "How does the writer try to change our mind?"),
        ("Why do we see the lightning before we hear the thunder?",
         "What is faster, the light or the sound?"),
        ("How can you tell that the character has changed?",
         "What does she do at the end that she would never have done at the start?"),
        ("Which metals will the magnet pick up?", "What do iron and nickel have in common here?"),
        ("Why is it so wet in the rainforest?", "Where does all that rain come from?"),
        ("How would you write seventy five percent as a fraction?",
         "What fraction is the same as seventy five out of a hundred?"),
        ("What is the strongest reason in this paragraph?",
         "Which sentence would convince you the most?"),
        ("What pattern can you spot in this table?", "What keeps going up by the same amount?"),
    ],
}

# After the wait, the teacher names a pupil. dev reuses labelled_set.NAME_FORMS (imported there).
HANDS_UP = {"dev": ["Yes, {n}.", "Yes, {n}, go on."], "test": ["{n}, your hand's up.", "Okay {n}, hand up, go."]}
CALL_OUT_REPLY = {  # the teacher, after a pupil called out: then names a pupil, or carries on
    "dev": ["Hands up, please. {n}?", "Hands up, not shouting out. {n}?"],
    "test": ["Let's put our hands up. {n}?", "No calling out, thank you. {n}?"],
}
CARRY_ON = {"dev": ["Yes, that's right.", "Mm, good, that's one idea."],
            "test": ["Well, that's true.", "Fine, that's part of it."]}
RESPONSES = {
    "dev": ["Good, thank you.", "Nice thinking.", "Yes, exactly.", "That's a good start.",
            "Interesting, keep that in mind.", "Well done."],
    "test": ["Lovely.", "Thanks for that.", "Great point.", "Spot on.", "I like that idea.",
             "Brilliant, thank you."],
}
NO_NAME = {  # no pupil is named: "Anyone?" (said as its own utterance), or the teacher answers herself
    "dev": ["Anyone?", "Anybody want to try?"],
    "test": ["Nobody?", "Any ideas at all?"],
}
SELF_ANSWER = {
    "dev": ["Okay, I'll tell you.", "Let me explain it then.", "Right, here's the answer."],
    "test": ["Fine, I'll give you the answer.", "Let me show you.", "Alright, listen carefully."],
}
TAGS = {  # a statement ending in a tag question; the teacher goes straight on (not a posed question)
    "dev": ["{s}, right?", "{s}, OK?"],
    "test": ["{s}, yeah?", "{s}, alright?"],
}
PROCEDURAL = {
    "dev": ["Can everyone see the board?", "Has everyone got a pencil?", "Is everybody ready?",
            "Can you hear me at the back?"],
    "test": ["Have you all got your books open?", "Does everyone have a ruler?",
             "Are we all on the right page?", "Can you all see the screen?"],
}
INSTRUCTIONS = {  # a name said outside any question
    "dev": ["{n}, sit down please.", "{n}, eyes this way, thank you.", "Pens down now, {n}."],
    "test": ["{n}, turn around please.", "Face the front, {n}.", "{n}, put that away, thanks."],
}
PUPIL_ANSWERS = {  # synthesised only; never labelled
    "dev": ["Because the metal takes the heat away faster.", "Is it because it's bigger?",
            "I think it's the second one.", "Maybe it's to do with the sun.",
            "Um, they wanted to get there quicker.", "It makes it sound more angry.",
            "The plates are moving.", "You keep everything else the same.",
            "I'm not sure, but maybe the water?", "It gets wider each year."],
    "test": ["The foxes would go hungry.", "It comes from the sun.", "Twelve, I think.",
             "Because there were more jobs there.", "They could go to the beach.",
             "Because light is quicker.", "She talks to everyone now.", "Iron and nickel.",
             "It's a half and a quarter.", "Um, the one about money?"],
}
CALL_OUTS = {
    "dev": ["Ooh, I know! It's the heat!", "Miss, it's the sun!", "The plates!"],
    "test": ["It's the rain!", "Sir, sir, it's twelve!", "Because it's faster!"],
}
# Enrolment: the same teacher voice saying rehearsal-like reps (question, a pause, a name).
ENROL_QUESTIONS = {
    "dev": ["What do you notice about the shape of this leaf?", "What do you notice about these numbers?",
            "Why might the captain have turned back?", "How would you sort these animals into groups?",
            "What would you add to make this sentence better?", "Where else have we seen this pattern?",
            "What does this map tell us about the coast?", "How do you know that is true?"],
    "test": ["What strikes you about this painting?", "How might we group these words?",
             "What could the farmer have done differently?", "Why did the ice melt so quickly?",
             "Which clue in the picture helps us most?", "What would happen if we doubled it?",
             "How is this town different from ours?", "What evidence backs that up?"],
}
ENROL_NAMING = {"dev": ["{n}.", "{n}, what do you think?"], "test": ["{n}?", "What do you reckon, {n}?"]}

"""The vocabulary of the relevance benchmark's corpus (bench/search_corpus.py): per language, the
topics posts are about, their word families in several inflections, phrases, hashtags, the
sentences posts are made of, chatter without any topic, and distractor words that look like topic
words (a prefix, one or two edits, a homograph in another language) but are not about them.

A word family is a tuple of forms, the lemma first: what a person searching one of them means
(`run` finds `runs`, `running`, `runner`; `laufen` finds `läuft`, `Läufer`). Irregular and
derived forms (`ran`, `lief`, `Läuferin`) are in their families on purpose: no stemmer joins them
all, so the labels measure what people mean, not what a given stemmer does. Forms are unique
within a language (bench/search_corpus.py checks it), so a word in a post names one family.
"""

from __future__ import annotations

LANGUAGES = ("en", "de", "fr", "es")
LANGUAGE_SHARE = {"en": 0.4, "de": 0.2, "fr": 0.2, "es": 0.2}

# topic -> language -> word families (forms, lemma first)
Families = dict[str, dict[str, list[tuple[str, ...]]]]
TOPICS: Families = {
    "running": {
        "en": [
            ("run", "runs", "running", "ran", "runner", "runners"),
            ("marathon", "marathons"),
            ("jog", "jogs", "jogging", "jogged", "jogger"),
            ("workout", "workouts"),
        ],
        "de": [
            ("laufen", "laufe", "läuft", "lief", "gelaufen", "lauf", "läufe", "läufer", "läuferin", "läufern"),
            ("marathon", "marathons"),
            ("joggen", "jogge", "joggt", "gejoggt"),
            ("training", "trainieren", "trainiert", "trainiere"),
        ],
        "fr": [
            ("courir", "cours", "court", "courent", "couru", "coureur", "coureurs", "coureuse"),
            ("marathon", "marathons"),
            ("entraînement", "entraînements", "entraîner", "entraîne", "entraîné"),
            ("footing", "footings"),
        ],
        "es": [
            ("correr", "corro", "corre", "corren", "corrió", "corriendo", "corredor", "corredores", "corredora"),
            ("maratón", "maratones"),
            ("entrenar", "entreno", "entrena", "entrenando", "entrenamiento", "entrenamientos"),
            ("carrera", "carreras"),
        ],
    },
    "cycling": {
        "en": [
            ("bike", "bikes", "biking", "biked", "biker"),
            ("cycle", "cycles", "cycling", "cycled", "cyclist", "cyclists"),
            ("ride", "rides", "riding", "rode", "rider", "riders"),
        ],
        "de": [
            ("fahrrad", "fahrräder", "fahrrädern", "fahrrads"),
            ("radeln", "radle", "radelt", "geradelt", "radler", "radlerin"),
            ("radtour", "radtouren"),
        ],
        "fr": [
            ("vélo", "vélos"),
            ("pédaler", "pédale", "pédales", "pédalé"),
            ("cycliste", "cyclistes", "cyclisme"),
        ],
        "es": [
            ("bicicleta", "bicicletas", "bici", "bicis"),
            ("pedalear", "pedaleo", "pedalea", "pedaleando"),
            ("ciclista", "ciclistas", "ciclismo"),
        ],
    },
    "cooking": {
        "en": [
            ("cook", "cooks", "cooking", "cooked"),
            ("bake", "bakes", "baking", "baked", "baker", "bakers", "bakery"),
            ("recipe", "recipes"),
        ],
        "de": [
            ("kochen", "koche", "kocht", "kochte", "gekocht", "köchin"),
            ("backen", "backe", "backt", "gebacken", "bäcker", "bäckerei"),
            ("rezept", "rezepte", "rezepten"),
        ],
        "fr": [
            ("cuisiner", "cuisine", "cuisines", "cuisiné", "cuisinier", "cuisinière"),
            ("recette", "recettes"),
            ("pâtisserie", "pâtisseries", "pâtissier", "pâtissière"),
        ],
        "es": [
            ("cocinar", "cocino", "cocina", "cocinando", "cocinado", "cocinero", "cocinera"),
            ("receta", "recetas"),
            ("hornear", "horneo", "horneando", "horneado"),
        ],
    },
    "books": {
        "en": [
            ("book", "books"),
            ("read", "reads", "reading", "reader", "readers"),
            ("library", "libraries", "librarian"),
            ("novel", "novels", "novelist"),
        ],
        "de": [
            ("buch", "bücher", "büchern", "buches"),
            ("lesen", "lese", "liest", "las", "gelesen", "leser", "leserin"),
            ("bibliothek", "bibliotheken"),
            ("roman", "romane", "romanen"),
        ],
        "fr": [
            ("livre", "livres"),
            ("lire", "lis", "lit", "lu", "lecture", "lecteur", "lecteurs", "lectrice"),
            ("bibliothèque", "bibliothèques"),
            ("roman", "romans", "romancier"),
        ],
        "es": [
            ("libro", "libros", "librería"),
            ("leer", "leo", "lee", "leyendo", "leído", "lector", "lectores", "lectura"),
            ("biblioteca", "bibliotecas"),
            ("novela", "novelas", "novelista"),
        ],
    },
    "music": {
        "en": [
            ("sing", "sings", "singing", "sang", "singer", "singers"),
            ("guitar", "guitars", "guitarist"),
            ("song", "songs"),
            ("concert", "concerts"),
        ],
        "de": [
            ("singen", "singe", "singt", "sang", "gesungen", "sänger", "sängerin"),
            ("gitarre", "gitarren", "gitarrist"),
            ("lied", "lieder", "liedern"),
            ("konzert", "konzerte", "konzerten"),
        ],
        "fr": [
            ("chanter", "chante", "chantent", "chanté", "chanteur", "chanteuse"),
            ("chanson", "chansons"),
            ("guitare", "guitares", "guitariste"),
            ("concert", "concerts"),
        ],
        "es": [
            ("cantar", "canto", "canta", "cantando", "cantó", "cantante", "cantantes"),
            ("canción", "canciones"),
            ("guitarra", "guitarras", "guitarrista"),
            ("concierto", "conciertos"),
        ],
    },
    "travel": {
        "en": [
            ("travel", "travels", "travelling", "travelled", "traveller", "travellers"),
            ("fly", "flies", "flying", "flew", "flight", "flights"),
            ("hotel", "hotels"),
            ("journey", "journeys"),
        ],
        "de": [
            ("reisen", "reise", "reist", "reiste", "gereist", "reisende"),
            ("fliegen", "fliege", "fliegt", "flog", "geflogen", "flug", "flüge"),
            ("hotel", "hotels"),
        ],
        "fr": [
            ("voyager", "voyage", "voyages", "voyagé", "voyageur", "voyageurs", "voyageuse"),
            ("avion", "avions"),
            ("hôtel", "hôtels"),
        ],
        "es": [
            ("viajar", "viajo", "viaja", "viajando", "viajé", "viaje", "viajes", "viajero", "viajeros"),
            ("vuelo", "vuelos", "volar"),
            ("hotel", "hoteles"),
        ],
    },
    "garden": {
        "en": [
            ("garden", "gardens", "gardening", "gardener"),
            ("plant", "plants", "planting", "planted"),
            ("flower", "flowers", "flowering"),
            ("grow", "grows", "growing", "grew", "grown"),
        ],
        "de": [
            ("garten", "gärten", "gärtner", "gärtnerin"),
            ("pflanze", "pflanzen", "pflanzt", "gepflanzt"),
            ("blume", "blumen"),
        ],
        "fr": [
            ("jardin", "jardins", "jardinage", "jardinier", "jardinière"),
            ("plante", "plantes", "planter", "planté"),
            ("fleur", "fleurs", "fleuri", "fleurie"),
        ],
        "es": [
            ("jardín", "jardines", "jardinería", "jardinero"),
            ("planta", "plantas", "plantar", "plantando"),
            ("flor", "flores", "florecer"),
        ],
    },
    "photo": {
        "en": [
            ("photo", "photos", "photograph", "photographs", "photography", "photographer"),
            ("camera", "cameras"),
            ("picture", "pictures"),
        ],
        "de": [
            ("foto", "fotos", "fotografie", "fotografieren", "fotografiert", "fotograf", "fotografin"),
            ("kamera", "kameras"),
            ("bild", "bilder", "bildern"),
        ],
        "fr": [
            ("photo", "photos", "photographie", "photographier", "photographe", "photographes"),
            ("appareil", "appareils"),
            ("image", "images"),
        ],
        "es": [
            ("foto", "fotos", "fotografía", "fotografías", "fotógrafo", "fotógrafa", "fotografiar"),
            ("cámara", "cámaras"),
            ("imagen", "imágenes"),
        ],
    },
    "football": {
        "en": [
            ("football",),
            ("goal", "goals"),
            ("match", "matches"),
            ("play", "plays", "playing", "played", "player", "players"),
        ],
        "de": [
            ("fußball", "fußballs"),
            ("tor", "tore", "toren"),
            ("spiel", "spiele", "spielen", "spielt", "spielte", "gespielt", "spieler", "spielerin"),
        ],
        "fr": [
            ("football", "foot"),
            ("but", "buts"),
            ("jouer", "joue", "jouent", "joué", "joueur", "joueurs"),
            ("match", "matchs"),
        ],
        "es": [
            ("fútbol",),
            ("gol", "goles"),
            ("jugar", "juego", "juega", "jugando", "jugó", "jugador", "jugadores"),
            ("partido", "partidos"),
        ],
    },
    "weather": {
        "en": [
            ("rain", "rains", "raining", "rained", "rainy"),
            ("snow", "snows", "snowing", "snowed", "snowy"),
            ("storm", "storms", "stormy"),
            ("sun", "sunny", "sunshine"),
        ],
        "de": [
            ("regen", "regnet", "regnete", "geregnet", "regnerisch"),
            ("schnee", "schneit", "schneite", "geschneit"),
            ("sturm", "stürme", "stürmisch"),
            ("sonne", "sonnig", "sonnenschein"),
        ],
        "fr": [
            ("pluie", "pluies", "pleut", "pleuvoir", "plu"),
            ("neige", "neiges", "neiger", "neigé"),
            ("orage", "orages", "orageux"),
            ("soleil", "ensoleillé"),
        ],
        "es": [
            ("lluvia", "lluvias", "llueve", "llover", "lloviendo"),
            ("nieve", "nieva", "nevar", "nevando", "nevada"),
            ("tormenta", "tormentas"),
            ("sol", "soleado"),
        ],
    },
    "cafe": {
        "en": [("coffee", "coffees"), ("tea", "teas"), ("café", "cafés"), ("espresso",)],
        "de": [("kaffee",), ("tee",), ("café", "cafés"), ("espresso",)],
        "fr": [("café", "cafés"), ("thé", "thés"), ("croissant", "croissants")],
        "es": [("café", "cafés"), ("té",), ("churro", "churros")],
    },
}

# topic -> language -> phrases; a phrase is a list of slots, each a tuple of alternatives with
# the canonical word first (the quoted query); the others are its inflected variants.
Phrases = dict[str, dict[str, list[list[tuple[str, ...]]]]]
PHRASES: Phrases = {
    "running": {
        "en": [[("morning",), ("run", "runs")], [("half",), ("marathon", "marathons")]],
        "de": [[("langer",), ("lauf",)], [("erster",), ("marathon",)]],
        "fr": [[("premier",), ("marathon",)], [("course",), ("à",), ("pied",)]],
        "es": [[("primer",), ("maratón",)], [("carrera",), ("popular", "populares")]],
    },
    "cycling": {
        "en": [[("mountain",), ("bike", "bikes")], [("bike",), ("ride", "rides")]],
        "de": [[("neues",), ("fahrrad",)], [("lange",), ("radtour",)]],
        "fr": [[("balade",), ("à",), ("vélo",)], [("piste",), ("cyclable", "cyclables")]],
        "es": [[("carril",), ("bici",)], [("bicicleta",), ("de",), ("montaña",)]],
    },
    "cooking": {
        "en": [[("sourdough",), ("bread", "breads")], [("family",), ("recipe", "recipes")]],
        "de": [[("frisches",), ("brot",)], [("altes",), ("rezept",)]],
        "fr": [[("recette",), ("de",), ("grand-mère",)], [("tarte",), ("aux",), ("pommes",)]],
        "es": [[("tortilla",), ("de",), ("patatas",)], [("receta",), ("casera",)]],
    },
    "books": {
        "en": [[("public",), ("library", "libraries")], [("book",), ("club", "clubs")]],
        "de": [[("neues",), ("buch",)], [("gutes",), ("buch",)]],
        "fr": [[("bon",), ("livre",)], [("club",), ("de",), ("lecture",)]],
        "es": [[("club",), ("de",), ("lectura",)], [("buen",), ("libro",)]],
    },
    "music": {
        "en": [[("live",), ("concert", "concerts")], [("guitar",), ("lesson", "lessons")]],
        "de": [[("live",), ("konzert",)], [("neues",), ("lied",)]],
        "fr": [[("fête",), ("de",), ("la",), ("musique",)], [("concert",), ("live",)]],
        "es": [[("concierto",), ("en",), ("directo",)], [("clases",), ("de",), ("guitarra",)]],
    },
    "travel": {
        "en": [[("road",), ("trip", "trips")], [("night",), ("flight", "flights")]],
        "de": [[("letzte",), ("reise",)], [("langer",), ("flug",)]],
        "fr": [[("voyage",), ("en",), ("train",)], [("billet",), ("d'avion",)]],
        "es": [[("viaje",), ("en",), ("tren",)], [("vuelo",), ("barato",)]],
    },
    "garden": {
        "en": [[("vegetable",), ("garden", "gardens")], [("house",), ("plant", "plants")]],
        "de": [[("kleiner",), ("garten",)], [("bunte",), ("blumen",)]],
        "fr": [[("potager",), ("bio",)], [("jardin",), ("partagé", "partagés")]],
        "es": [[("huerto",), ("urbano",)], [("plantas",), ("de",), ("interior",)]],
    },
    "photo": {
        "en": [[("film",), ("camera", "cameras")], [("street",), ("photography",)]],
        "de": [[("altes",), ("foto",)], [("neue",), ("kamera",)]],
        "fr": [[("appareil",), ("photo",)], [("photo",), ("de",), ("rue",)]],
        "es": [[("cámara",), ("analógica",)], [("foto",), ("del",), ("día",)]],
    },
    "football": {
        "en": [[("penalty",), ("kick", "kicks")], [("home",), ("match", "matches")]],
        "de": [[("letztes",), ("spiel",)], [("schönes",), ("tor",)]],
        "fr": [[("coupe",), ("du",), ("monde",)], [("beau",), ("but",)]],
        "es": [[("gran",), ("partido",)], [("golazo",), ("de",), ("cabeza",)]],
    },
    "weather": {
        "en": [[("heavy",), ("rain",)], [("first",), ("snow",)]],
        "de": [[("erster",), ("schnee",)], [("starker",), ("regen",)]],
        "fr": [[("grand",), ("soleil",)], [("première",), ("neige",)]],
        "es": [[("mucho",), ("calor",)], [("primera",), ("nevada",)]],
    },
    "cafe": {
        "en": [[("iced",), ("coffee", "coffees")], [("green",), ("tea", "teas")]],
        "de": [[("erster",), ("kaffee",)], [("grüner",), ("tee",)]],
        "fr": [[("petit",), ("café",)], [("pain",), ("au",), ("chocolat",)]],
        "es": [[("café",), ("con",), ("leche",)], [("churros",), ("con",), ("chocolate",)]],
    },
}

# Hashtags a post about a topic may carry (written as shown; a tag is also a word of the body).
HASHTAGS: dict[str, dict[str, list[str]]] = {
    "running": {"en": ["running", "Marathon"], "de": ["laufen", "Marathon"], "fr": ["course", "marathon"],
                "es": ["correr", "maratón"]},
    "cycling": {"en": ["cycling", "bike"], "de": ["Fahrrad", "radeln"], "fr": ["vélo", "cyclisme"],
                "es": ["bici", "ciclismo"]},
    "cooking": {"en": ["baking", "recipes"], "de": ["kochen", "backen"], "fr": ["cuisine", "pâtisserie"],
                "es": ["recetas", "cocina"]},
    "books": {"en": ["books", "reading"], "de": ["Bücher", "lesen"], "fr": ["livres", "lecture"],
              "es": ["libros", "lectura"]},
    "music": {"en": ["music", "guitar"], "de": ["Musik", "Konzert"], "fr": ["musique", "chanson"],
              "es": ["música", "guitarra"]},
    "travel": {"en": ["travel", "TravelTips"], "de": ["reisen", "Urlaub"], "fr": ["voyage", "vacances"],
               "es": ["viajes", "vacaciones"]},
    "garden": {"en": ["gardening", "plants"], "de": ["Garten", "Pflanzen"], "fr": ["jardinage", "jardin"],
               "es": ["jardín", "plantas"]},
    "photo": {"en": ["photography", "photooftheday"], "de": ["Fotografie", "Foto"], "fr": ["photographie", "photo"],
              "es": ["fotografía", "foto"]},
    "football": {"en": ["football", "matchday"], "de": ["Fußball", "Bundesliga"], "fr": ["football", "Ligue1"],
                 "es": ["fútbol", "LaLiga"]},
    "weather": {"en": ["weather", "snow"], "de": ["Wetter", "Regen"], "fr": ["météo", "neige"],
                "es": ["tiempo", "lluvia"]},
    "cafe": {"en": ["coffee", "CoffeeTime"], "de": ["Kaffee", "Kaffeepause"], "fr": ["café", "croissant"],
             "es": ["café", "desayuno"]},
}  # fmt: skip
GENERIC_HASHTAGS = {
    "en": ["weekend", "monday", "fediverse", "mood", "life"],
    "de": ["Wochenende", "Montag", "fediverse", "Alltag"],
    "fr": ["weekend", "lundi", "fediverse", "vie"],
    "es": ["findesemana", "lunes", "fediverse", "vida"],
}

# Sentences about a topic: {a} and {b} are forms of the topic's families ({A}: capitalised).
TOPIC_TEMPLATES = {
    "en": [
        "Nothing beats {a} after work", "Anyone into {a}? Looking for tips on {b}", "Today was all about {a} and {b}",
        "Just finished {a}. Next up: {b}!", "Can't stop thinking about {a}", "{A} again today",
        "Big fan of {a}, less so of {b}", "Weekend plan: {a}, {b}, repeat", "Thoughts on {a}?",
        "Finally tried {a} and loved it", "Still learning about {a}", "Who else loves {a}?", "So much {a} this week",
        "Quick note on {a} and {b}", "More {a}, less {b}", "{A} in the evening is the best",
    ],
    "de": [
        "Heute nur {a} und {b}", "Nichts geht über {a} nach der Arbeit", "Wer hat Tipps zu {a}?",
        "Endlich {a} ausprobiert, super", "Ich denke ständig an {a}", "Schon wieder {a} heute",
        "Großer Fan von {a}, weniger von {b}", "Wochenendplan: {a}, {b}, wiederholen", "Was haltet ihr von {a}?",
        "So viel {a} diese Woche", "Kurze Notiz zu {a} und {b}", "Mehr {a}, weniger {b}",
        "{A} am Abend ist das Beste", "Ohne {a} geht bei mir nichts",
    ],
    "fr": [
        "Aujourd'hui : {a} et {b}", "Rien de mieux que {a} après le boulot", "Des conseils pour {a} ?",
        "Enfin essayé {a}, j'adore", "Je pense sans arrêt à {a}", "Encore {a} aujourd'hui", "Fan de {a}, moins de {b}",
        "Programme du week-end : {a}, {b}, et on recommence", "Vous pensez quoi de {a} ?",
        "Tellement de {a} cette semaine", "Petite note sur {a} et {b}", "Plus de {a}, moins de {b}",
        "{A} le soir, c'est le meilleur", "Sans {a}, rien ne va",
    ],
    "es": [
        "Hoy tocó {a} y {b}", "Nada mejor que {a} después del trabajo", "¿Algún consejo sobre {a}?",
        "Por fin probé {a}, me encanta", "No paro de pensar en {a}", "Otra vez {a} hoy", "Muy fan de {a}, menos de {b}",
        "Plan de fin de semana: {a}, {b} y repetir", "¿Qué opináis de {a}?", "Tanto {a} esta semana",
        "Una nota rápida sobre {a} y {b}", "Más {a}, menos {b}", "{A} por la tarde es lo mejor", "Sin {a} no soy nada",
    ],
}  # fmt: skip
PHRASE_TEMPLATES = {
    "en": ["Loved the {p} today", "{P} done ✅", "Best {p} ever", "Another {p}, another story"],
    "de": ["Heute: {p}", "{P} erledigt ✅", "Schon wieder {p}", "Mein Highlight: {p}"],
    "fr": ["Super {p} aujourd'hui", "{P} : fait ✅", "Encore un {p}", "Mon moment préféré : {p}"],
    "es": ["Genial {p} hoy", "{P}: hecho ✅", "Otro {p} más", "Lo mejor del día: {p}"],
}

# Chatter: sentences about nothing in particular (no topic word in any language).
FILLERS = {
    "en": [
        "Good morning everyone", "What a week it has been", "Can't believe it's already Friday",
        "Feeling tired but happy", "Honestly the best day in a while", "Anyone else up this early?",
        "Back from a long day at work", "Need more sleep", "Grateful for good friends", "Trying something new this week",
        "That was unexpected", "Finally some free time", "Sending good vibes from here", "Long story short: it worked",
        "Not sure how I feel about this", "Quick update from me", "Who else is staying in tonight?",
        "Made it home safe", "Small wins count too", "Reminder to drink water", "Lazy Sunday vibes",
        "Ok this made me smile", "Learning every day", "New week, new plans", "Thanks for all the kind replies",
        "Greetings from the city", "Somebody explain this to me", "Busy busy busy",
    ],
    "de": [
        "Guten Morgen zusammen", "Was für eine Woche", "Endlich Wochenende", "Heute war ein langer Tag",
        "Bin müde aber glücklich", "Wer ist auch schon wach?", "Zurück von der Arbeit", "Brauche dringend mehr Schlaf",
        "Dankbar für gute Freunde", "Mal was Neues ausprobiert", "Das kam unerwartet", "Endlich etwas Zeit für mich",
        "Liebe Grüße aus der Stadt", "Kurz gesagt: es hat geklappt", "Weiß nicht so recht, was ich davon halten soll",
        "Kleines Update von mir", "Wer bleibt heute Abend auch zu Hause?", "Gut angekommen",
        "Auch kleine Erfolge zählen", "Denkt daran, genug Wasser zu trinken", "Gemütlicher Sonntag",
        "Das hat mich zum Lächeln gebracht", "Neue Woche, neue Pläne", "Danke für die lieben Antworten",
        "Ich freue mich schon auf morgen", "Viel zu tun heute",
    ],
    "fr": [
        "Bonjour tout le monde", "Quelle semaine", "Enfin le week-end", "Longue journée aujourd'hui",
        "Fatiguée mais heureuse", "Qui est déjà réveillé ?", "De retour du boulot", "J'ai besoin de dormir",
        "Reconnaissant pour mes amis", "J'ai essayé quelque chose de nouveau", "Je ne m'y attendais pas",
        "Enfin un peu de temps pour moi", "Des bisous depuis la ville", "Bref, ça a marché",
        "Je ne sais pas quoi en penser", "Petite mise à jour", "Qui reste à la maison ce soir ?", "Bien arrivée",
        "Les petites victoires comptent aussi", "Pensez à boire de l'eau", "Dimanche tranquille",
        "Ça m'a fait sourire", "Nouvelle semaine, nouveaux projets", "Merci pour vos gentils messages",
        "J'ai hâte d'être à demain", "Beaucoup de boulot aujourd'hui",
    ],
    "es": [
        "Buenos días a todos", "Qué semana", "Por fin es viernes", "Hoy fue un día largo", "Cansada pero feliz",
        "¿Alguien más despierto?", "De vuelta del trabajo", "Necesito dormir más", "Agradecido por mis amigos",
        "Probando algo nuevo esta semana", "Eso no me lo esperaba", "Por fin un rato para mí",
        "Saludos desde la ciudad", "En resumen: funcionó", "No sé qué pensar de esto", "Pequeña actualización",
        "¿Quién se queda en casa esta noche?", "Llegué bien a casa", "Las pequeñas victorias también cuentan",
        "Recuerda beber agua", "Domingo tranquilo", "Esto me hizo sonreír", "Nueva semana, nuevos planes",
        "Gracias por los mensajes tan bonitos", "Ya tengo ganas de que sea mañana", "Mucho trabajo hoy",
    ],
}  # fmt: skip

# Words that look like topic words (a shared prefix, an edit or two away, a homograph elsewhere)
# but are not about the topic: false positives for prefixes, fuzziness and stemming.
DISTRACTORS = {
    "en": ["runway", "rundown", "ruling", "ruined", "bookmark", "booking", "photon", "flour", "plantain", "singular",
           "matchbox", "raincoat", "snowden", "cooker", "hotelier", "sunday", "readymade", "garde", "songbird",
           "camerawork", "stormtrooper", "playlist", "teaser"],
    "de": ["laufwerk", "buchhaltung", "kochsalz", "torte", "spielzeug", "regenerieren", "bildschirm", "fotokopie",
           "sonntag", "garnele", "reisig", "sturmhaube", "kamerad", "lesbar", "teekesselchen"],
    "fr": ["libre", "courrier", "courage", "singe", "chantier", "voyant", "plantation", "photocopie", "butte",
           "jouet", "imagerie", "fleuve", "livret", "cafard", "lisière"],
    "es": ["correo", "corte", "juglar", "libre", "cantidad", "plantilla", "solo", "florero", "novedad", "vuelta",
           "lectivo", "fotocopia", "nevera", "partida", "cocodrilo", "golpe"],
}  # fmt: skip
DISTRACTOR_TEMPLATES = {
    "en": ["Quick thought about the {d}", "The {d} thing again", "Nobody talks about {d} enough", "{D}, seriously?"],
    "de": ["Kurzer Gedanke zum Thema {d}", "Schon wieder {d}", "Niemand redet über {d}", "{D}, ernsthaft?"],
    "fr": ["Petite pensée sur {d}", "Encore cette histoire de {d}", "Personne ne parle de {d}", "{D}, sérieusement ?"],
    "es": ["Una idea rápida sobre {d}", "Otra vez lo de {d}", "Nadie habla de {d}", "{D}, ¿en serio?"],
}

# Authors: first names and surnames per language (none of them a topic word).
FIRST_NAMES = {
    "en": ["emma", "olivia", "jack", "harry", "amelia", "oscar", "grace", "noah", "chloe", "liam", "ella", "ethan"],
    "de": ["lukas", "lena", "jonas", "mia", "felix", "hannah", "paul", "leonie", "moritz", "anna", "finn", "sophie"],
    "fr": ["camille", "louis", "chloe", "hugo", "manon", "jules", "lea", "arthur", "ines", "gabriel", "zoe", "nathan"],
    "es": ["lucia", "mateo", "sofia", "pablo", "martina", "hugo", "valeria", "diego", "carmen", "alvaro", "elena"],
}
SURNAMES = {
    "en": ["Smith", "Taylor", "Brown", "Wilson", "Evans", "Thomas", "Johnson", "Walker"],
    "de": ["Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker"],
    "fr": ["Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand"],
    "es": ["García", "Fernández", "González", "Rodríguez", "López", "Martínez", "Sánchez", "Pérez"],
}

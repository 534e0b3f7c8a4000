"""Emotion vocabularies per dataset, and the MEGC composite 3-class mapping (FORMATS.md §5).

Sheets write emotions in their own case and spelling (SAMM `Anger`, CASME II `others`, SAMM
`Other`); `normalise_emotion` maps a cell to the dataset's own label, lower-cased, or None when the
cell is not in that vocabulary (the caller reports it). `megc3` gives the composite class.
"""

VOCABULARIES: dict[str, tuple[str, ...]] = {
    "casme2": ("happiness", "surprise", "disgust", "repression", "sadness", "fear", "others"),
    "samm": ("anger", "contempt", "disgust", "fear", "happiness", "other", "sadness", "surprise"),
    "casme-sq": ("negative", "positive", "surprise", "others"),
    "casme3": ("happiness", "disgust", "fear", "anger", "sadness", "surprise", "others"),
    "smic": ("negative", "positive", "surprise"),
    "mmew": ("happiness", "surprise", "disgust", "fear", "sadness", "others"),
}
# Reader format names that share a dataset's vocabulary.
DATASET_OF_FORMAT = {"smic-e": "smic", "casme3-a": "casme3", "casme3-c": "casme3"}

_SYNONYMS = {
    "happy": "happiness",
    "sad": "sadness",
    "angry": "anger",
    "surprised": "surprise",
    "disgusted": "disgust",
    "fearful": "fear",
    "afraid": "fear",
    "repressed": "repression",
    "ne": "negative",
    "po": "positive",
    "sur": "surprise",
    "others": "other",  # folded to the dataset's own spelling below
}

MEGC3_LABELS = {"negative": 0, "positive": 1, "surprise": 2}
_NEGATIVE = {"repression", "anger", "contempt", "disgust", "fear", "sadness"}
_CASME2_NEGATIVE = {"disgust", "repression"}  # MEGC2019 composite: CASME II sadness/fear are dropped


def vocabulary(dataset: str) -> tuple[str, ...]:
    key = DATASET_OF_FORMAT.get(dataset, dataset)
    if key not in VOCABULARIES:
        raise ValueError(f"no emotion vocabulary for {dataset!r}; known: {', '.join(VOCABULARIES)}")
    return VOCABULARIES[key]


def normalise_emotion(raw: str, dataset: str) -> str | None:
    """`Anger` -> `anger` (SAMM); `Others`/`other` -> the dataset's spelling; None if not a label."""
    labels = vocabulary(dataset)
    word = " ".join(raw.split()).lower()
    word = _SYNONYMS.get(word, word)
    if word == "other" and "others" in labels:
        word = "others"
    return word if word in labels else None


def megc3(raw: str, dataset: str) -> str | None:
    """The MEGC composite class (negative/positive/surprise), or None when the sample is dropped."""
    emotion = normalise_emotion(raw, dataset)
    if emotion in ("positive", "happiness"):
        return "positive"
    if emotion in ("surprise", "negative"):
        return emotion
    negative = _CASME2_NEGATIVE if DATASET_OF_FORMAT.get(dataset, dataset) == "casme2" else _NEGATIVE
    return "negative" if emotion in negative else None

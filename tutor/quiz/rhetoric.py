"""Word lists that tell a checkable claim from rhetoric (used by `tutor.quiz.facts`).

The material is written in a lofty style: "deep learning is the beating heart of
generative AI", "unsupervised learning becomes the lantern that illuminates hidden
pathways". A clause led by a figure of speech, or saying nothing but vague words, is no
fact to make an exam item from.
"""

from __future__ import annotations

from tutor.quiz.wording import verb_forms


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


FIGURATIVE = _words(
    """
    lantern heart beating backbone bedrock engine engines theater theatre compass stage
    symphony symphonies crescendo arteries duet duets mirror mirrors metaphor metaphors
    lesson spirit philosophy philosophical essence soul canvas frontier crucible monuments
    organisms bridge lens window door seeds rhythm rhythms choreography tapestry
    cornerstone cornerstones fabric architects architect vehicle playground journey badge
    dialectic paradox resonance undercurrents currents dance wager mindset imperative
    statement story destiny conscience poetry poem art muse magic alchemy epistemological
    existential metaphysical humility wisdom truth truths metaphorical abstraction
    afterthought afterthoughts ornament ornaments chaos chaotic flood shadows improvisation
    unfounded drift
    """
)
"""Words that make a clause a figure of speech rather than a checkable claim."""
VAGUE_CLAIM = _words(
    """
    layer intelligence dimension opportunity challenge role area sophistication possibility
    curiosity reality way form kind part level consequence importance significance value
    power place thing bring play extend introduce give make take become remain represent
    far technical feature tool invaluable powerful critical essential central important key
    valuable unique vital crucial profound deep deeper practical serious area
    """
)
"""Nouns, adjectives and verbs that say nothing checkable on their own ("bring another
layer of intelligence", "play pragmatic roles", "a technical feature")."""
RHETORICAL_VERBS = _words(
    """
    reflect reflects mirror mirrors echo echoes symbolize symbolizes symbolise symbolises
    embody embodies remind reminds capture captures liberate liberates
    """
)
"""Verbs of comparison and figure ("reflects curiosity", "mirrors the way humans think"):
what follows is an analogy, not a property of the subject ("liberates workflows from
bottlenecks")."""
EXTRA_VERBS = verb_forms(
    """track log store catalog secure fuse split apply handle power operate excel function
    work allow fine-tune rank teach optimise optimize measure register version serve unite
    condense reveal segment enable provide manage enforce ensure open integrate act form
    bring reduce capture extend allow occupy formalize formalise embody update learn
    require adjust forecast estimate split draw group assign preserve govern record
    retrieve orchestrate align liberate strive"""
)
"""Verbs that may be nouns elsewhere ("tracks", "records", "forms") but are verbs right
after a fact's subject: what a term does."""

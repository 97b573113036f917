"""Quiz questions: their shape, offline generation from the material, generation by a
model, cloze checks, and grading."""

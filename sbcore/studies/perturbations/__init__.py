"""Small perturbations, large failures: per-example PGD, universal perturbations and shifts along
S against S^c (Fig. 4, the official notebook 06), and the averaging classifier that does not
fall (chapter 08_perturbations)."""

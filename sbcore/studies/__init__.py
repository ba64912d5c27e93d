"""Studies: one folder per chapter (its configs per profile, experiment, tables, figures)."""

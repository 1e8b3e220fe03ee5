# Intentionally empty: spark-submit runs it so that Ivy resolves --packages, then exits.

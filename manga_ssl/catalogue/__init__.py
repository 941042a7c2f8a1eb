"""The run's results for use outside the workflow: the value-added catalogue, a Python API to
read a run, and the placement of new galaxies in a trained representation."""

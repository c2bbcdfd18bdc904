"""What crossings cost: the benchmark harness, the experiments and their charts.
"""

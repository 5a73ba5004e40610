print("vtag-bench: no benchmarks yet")

print("kubectl-vtag: not implemented yet")

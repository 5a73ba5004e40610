// vtag-operator: wiring arrives with the operator issue.
print("vtag-operator: not implemented yet")

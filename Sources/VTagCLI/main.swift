// kubectl-vtag: the kubectl plugin. Each subcommand lives in its own file.
await KubectlVTag.main()

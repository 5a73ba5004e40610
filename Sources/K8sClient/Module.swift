@_exported import KubeCore

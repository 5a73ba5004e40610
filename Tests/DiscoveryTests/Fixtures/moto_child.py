#!/usr/bin/env python3
"""Runs `moto.server` for a test, and exits when the test process goes away.

Usage: moto_child.py PORT   (listens on 127.0.0.1:PORT)

The test keeps this process's stdin open; when the test process ends, even by a crash, stdin
reaches end of file and the server exits, so no moto server outlives the tests.
"""
import os
import sys
import threading


def exit_when_parent_is_gone():
    sys.stdin.read()
    os._exit(0)


def main():
    port = sys.argv[1]
    threading.Thread(target=exit_when_parent_is_gone, daemon=True).start()
    from moto.server import main as moto_main
    moto_main(["-H", "127.0.0.1", "-p", port])


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Stride's command line: `python build.py` builds the site in this folder into public/.

See `python build.py --help`; the work is done by generator.build.build().
"""
from generator.cli import exit_quickly, main

if __name__ == "__main__":
    exit_quickly(main())

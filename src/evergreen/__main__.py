"""`python -m evergreen …` runs the same command line as `evergreen …`."""

from evergreen.cli import main

if __name__ == "__main__":
    main()

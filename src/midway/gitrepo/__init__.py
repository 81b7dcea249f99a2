"""The git I/O edge: the only package that imports pygit2.

Config is read at a revision straight from git objects (no checkout) and the state repo is
written straight into the object database; both go through here so pygit2 has one owner.
"""

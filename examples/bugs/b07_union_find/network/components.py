"""Connected groups of hosts in a network, found with a union-find structure."""

from __future__ import annotations


class DisjointSet:
    def __init__(self, size: int) -> None:
        self.parent = list(range(size))
        self.groups = size

    def find(self, node: int) -> int:
        root = node
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[node] != root:  # path compression
            self.parent[node], node = root, self.parent[node]
        return root

    def union(self, a: int, b: int) -> bool:
        """Join the groups of ``a`` and ``b``; False when they were already one group."""
        root_a, root_b = self.find(a), self.find(b)
        if root_a == root_b:
            return False
        self.parent[a] = root_b
        self.groups -= 1
        return True


def count_components(size: int, links: list[tuple[int, int]]) -> int:
    """Number of groups among hosts ``0 .. size - 1`` connected by ``links``."""
    sets = DisjointSet(size)
    for a, b in links:
        sets.union(a, b)
    return sets.groups


def group_members(size: int, links: list[tuple[int, int]]) -> list[list[int]]:
    """The groups themselves, each sorted, in order of their smallest host."""
    sets = DisjointSet(size)
    for a, b in links:
        sets.union(a, b)
    members: dict[int, list[int]] = {}
    for node in range(size):
        members.setdefault(sets.find(node), []).append(node)
    return sorted(members.values())

"""Count islands on a tile map: groups of land tiles ("#") joined horizontally or vertically."""

from __future__ import annotations


def parse_map(text: str) -> list[str]:
    return [row.strip() for row in text.strip().splitlines()]


def count_islands(grid: list[str]) -> int:
    if not grid:
        return 0
    rows = len(grid[0])
    cols = len(grid)
    seen: set[tuple[int, int]] = set()
    islands = 0
    for r in range(rows):
        for c in range(cols):
            if grid[r][c] != "#" or (r, c) in seen:
                continue
            islands += 1
            stack = [(r, c)]
            seen.add((r, c))
            while stack:
                y, x = stack.pop()
                for ny, nx in ((y - 1, x), (y + 1, x), (y, x - 1), (y, x + 1)):
                    if 0 <= ny < rows and 0 <= nx < cols and grid[ny][nx] == "#" and (ny, nx) not in seen:
                        seen.add((ny, nx))
                        stack.append((ny, nx))
    return islands

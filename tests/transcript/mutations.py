"""The line mutations both fuzz tests share (each adds its own on top)."""
import random

COMMON = ("drop", "double", "swap", "cut", "digit", "junk")


def mutate_line(op: str, lines: list[str], i: int, rng: random.Random, junk: list[str]) -> bool:
    """Apply the shared mutation `op` at line `i` (0 ≤ i ≤ len(lines)) of `lines`, in place; False
    when `op` is not one of COMMON (the caller's own) or does not apply there."""
    inside = i < len(lines)
    if op == "drop" and len(lines) > 1 and inside:
        del lines[i]
    elif op == "double" and inside:
        lines.insert(i, lines[i])
    elif op == "swap" and i + 1 < len(lines):
        lines[i], lines[i + 1] = lines[i + 1], lines[i]
    elif op == "cut" and inside:
        lines[i] = lines[i][: rng.randint(0, len(lines[i]))]
    elif op == "digit" and inside:
        digits = [k for k, ch in enumerate(lines[i]) if ch.isdigit()]
        if digits:
            k = rng.choice(digits)
            lines[i] = lines[i][:k] + str(rng.randint(0, 9)) + lines[i][k + 1:]
    elif op == "junk":
        lines.insert(i, rng.choice(junk))
    else:
        return False
    return True

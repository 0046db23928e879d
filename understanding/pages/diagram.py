"""The status workflow drawn as a diagram: statuses as boxes in a column, each allowed move as a
curved arrow beside it (moves down the column on the right, moves up on the left), so it reads on a
phone as on a desk. Numbers for an inline SVG the template writes; no script, no style attribute."""

from __future__ import annotations

from dataclasses import dataclass

from understanding.schema import Workflow

BOX_W, BOX_H, GAP = 180, 36, 28
SIDE = 150  # room on each side of the column for the arrows
LANE = 14  # how far each longer arrow bows out


@dataclass(frozen=True)
class Box:
    name: str
    x: int
    y: int
    initial: bool
    final: bool


@dataclass(frozen=True)
class Arrow:
    source: str
    target: str
    path: str  # SVG path data
    down: bool


@dataclass(frozen=True)
class Diagram:
    width: int
    height: int
    boxes: list[Box]
    arrows: list[Arrow]
    box_w: int = BOX_W
    box_h: int = BOX_H


def draw(workflow: Workflow) -> Diagram:
    statuses = workflow.statuses
    row = {name: i for i, name in enumerate(statuses)}
    left = SIDE
    boxes = [
        Box(name, left, 10 + i * (BOX_H + GAP), name == workflow.initial, not workflow.transitions.get(name))
        for i, name in enumerate(statuses)
    ]
    arrows = []
    for source, targets in workflow.transitions.items():
        for target in targets:
            a, b = row[source], row[target]
            down = b > a
            y1 = 10 + a * (BOX_H + GAP) + BOX_H // 2 + (-6 if down else 6)
            y2 = 10 + b * (BOX_H + GAP) + BOX_H // 2 + (6 if down else -6)
            bow = min(SIDE - 12, 24 + LANE * (abs(b - a) - 1) + 6 * (a % 3))
            x = left + BOX_W if down else left
            out = x + bow if down else x - bow
            tip = x + 4 if down else x - 4  # the arrowhead ends just off the box
            path = f"M {x} {y1} C {out} {y1}, {out} {y2}, {tip} {y2}"
            arrows.append(Arrow(source, target, path, down))
    height = 20 + len(statuses) * (BOX_H + GAP) - GAP
    return Diagram(width=2 * SIDE + BOX_W, height=height, boxes=boxes, arrows=arrows)

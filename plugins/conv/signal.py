"""The ``signal:`` form: y(t) = sum over channels c of the integral of h(tau) x_c(t - tau).

``h`` and each ``x`` are expressions in ``t`` (see ``expressions``). A continuous block samples
``tau`` on ``samples`` points and integrates with the trapezoid rule over the ``tau`` range; a
``discrete: true`` block uses the integers of the ranges and sums. The figure, in the manner of
the signals-and-systems animations: above, h(tau) (blue) and the flipped, shifted x(t - tau)
(red) with their product shaded (green); below, y(t) traced up to the current t (green).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .expressions import ExpressionError, evaluate, parse_expression
from .figures import drawn_number, format_number
from .raster import font
from .scene import Polygon, Polyline, Rect, Scene, Shape, Text
from .spec import BlockError, SignalSpec

CURVE_POINTS = 500      # where y(t) is computed for the lower plot
DRAWN_POINTS = 300      # points per drawn curve (keeps the SVG small)
STRAIGHT_TOLERANCE = 0.3  # pixels a dropped point may lie off the drawn line
WIDTH, TOP_HEIGHT, BOTTOM_HEIGHT = 640, 210, 150
MARGIN, LABEL_SIZE = 14, 13
CHANNEL_ROLES = ("signal_x", "signal_x2")


@dataclass(frozen=True)
class SignalPlan:
    spec: SignalSpec
    tau: np.ndarray          # (n,) the integration / plot axis
    h: np.ndarray            # (n,) h(tau)
    frame_times: np.ndarray  # (frames,)
    shifted: np.ndarray      # (frames, channels, n): x_c(t - tau) at each frame's t
    products: np.ndarray     # (frames, channels, n): h(tau) x_c(t - tau)
    curve_t: np.ndarray      # where y is drawn
    curve_y: np.ndarray
    frame_y: np.ndarray      # y at each frame's t


def _channel_role(channel: int) -> str:
    return CHANNEL_ROLES[channel % len(CHANNEL_ROLES)]


def _line(spec: SignalSpec, key: str) -> int | None:
    return spec.h_line if key == "h" else spec.x_line


def _values(spec: SignalSpec, tree, t: np.ndarray, key: str) -> np.ndarray:
    try:
        return evaluate(tree, t)
    except ExpressionError as error:
        raise BlockError(f"`{key}`: {error}", line=_line(spec, key),
                         hint="keep the expression finite over the `t` and `tau` ranges") from None


def _products_and_area(spec: SignalSpec, h_tau: np.ndarray, shifted: np.ndarray,
                       tau: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """h(tau) x(t - tau), and its sum (discrete) or trapezoid integral over tau (the last axis)."""
    with np.errstate(over="ignore", invalid="ignore"):
        products = h_tau * shifted
        area = products.sum(axis=-1) if spec.discrete else np.trapezoid(products, tau, axis=-1)
    if not np.all(np.isfinite(area)):
        raise BlockError("y(t) overflows: the product of h and x is too large for 64-bit floats",
                         line=spec.h_line, hint="scale h or x down")
    return products, area


def _outputs(spec: SignalSpec, h_tau: np.ndarray, x_trees: list, tau: np.ndarray,
             times: np.ndarray) -> np.ndarray:
    """y at each of ``times``, summed over the channels."""
    return sum(_products_and_area(spec, h_tau, _values(spec, tree, times[:, None] - tau[None, :],
                                                        "x"), tau)[1] for tree in x_trees)


def plan_signal(spec: SignalSpec) -> SignalPlan:
    """Sample, shift and integrate; a non-finite value is a ``BlockError`` at its line."""
    # parse_block has checked the expressions, so parsing them again cannot fail.
    h_tree = parse_expression(spec.h)
    x_trees = [parse_expression(source) for source in spec.x]
    if spec.discrete:
        tau = np.arange(spec.tau_range[0], spec.tau_range[1] + 1)
        frame_times = np.arange(spec.t_range[0], spec.t_range[1] + 1)
        curve_t = frame_times
    else:
        tau = np.linspace(*spec.tau_range, spec.samples)
        frame_times = np.linspace(*spec.t_range, spec.frames)
        curve_t = np.linspace(*spec.t_range, CURVE_POINTS)
    h_tau = _values(spec, h_tree, tau, "h")
    shifted = np.stack([np.stack([_values(spec, tree, t - tau, "x") for tree in x_trees])
                        for t in frame_times])
    products, areas = _products_and_area(spec, h_tau, shifted, tau)
    frame_y = areas.sum(axis=1)
    curve_y = frame_y if spec.discrete else _outputs(spec, h_tau, x_trees, tau, curve_t)
    return SignalPlan(spec=spec, tau=tau, h=h_tau, frame_times=frame_times, shifted=shifted,
                      products=products, curve_t=curve_t, curve_y=curve_y, frame_y=frame_y)


def _simplified(points: np.ndarray) -> np.ndarray:
    """Ramer-Douglas-Peucker: the fewest points whose polyline stays within the tolerance."""
    keep = np.zeros(len(points), dtype=bool)
    keep[[0, -1]] = True
    spans = [(0, len(points) - 1)]
    while spans:
        first, last = spans.pop()
        if last - first < 2:
            continue
        start, end = points[first], points[last]
        inner = points[first + 1:last]
        chord = end - start
        length = np.hypot(*chord)
        if length == 0:
            distances = np.hypot(*(inner - start).T)
        else:
            distances = np.abs(chord[0] * (start[1] - inner[:, 1])
                               - (start[0] - inner[:, 0]) * chord[1]) / length
        farthest = int(np.argmax(distances))
        if distances[farthest] > STRAIGHT_TOLERANCE:
            middle = first + 1 + farthest
            keep[middle] = True
            spans += [(first, middle), (middle, last)]
    return points[keep]


class _Axes:
    """Maps data coordinates to pixels inside a box."""

    def __init__(self, left: float, top: float, width: float, height: float,
                 x_range: tuple[float, float], values: np.ndarray):
        low, high = min(float(values.min()), 0.0), max(float(values.max()), 0.0)
        pad = (high - low) * 0.08 or 1.0
        self.left, self.top, self.width, self.height = left, top, width, height
        self.x_range, self.y_range = x_range, (low - pad, high + pad)

    def x(self, value: float) -> float:
        low, high = self.x_range
        return self.left + (value - low) / (high - low) * self.width

    def y(self, value: float) -> float:
        low, high = self.y_range
        return self.top + (high - value) / (high - low) * self.height

    def points(self, xs: np.ndarray, ys: np.ndarray) -> tuple[tuple[float, float], ...]:
        """Pixel points of a curve, without the points a straight line through them would draw."""
        if len(xs) > DRAWN_POINTS:
            keep = np.linspace(0, len(xs) - 1, DRAWN_POINTS).round().astype(int)
            xs, ys = xs[keep], ys[keep]
        pixels = np.column_stack([[self.x(a) for a in xs], [self.y(b) for b in ys]])
        if len(pixels) > 2:
            pixels = _simplified(pixels)
        return tuple((round(float(x), 2), round(float(y), 2)) for x, y in pixels)

    def axis_shapes(self, name: str) -> list[Shape]:
        """The zero line, the range's end values, the axis name and t = 0 when in range."""
        zero = self.y(0.0)
        low, high = self.x_range
        shapes: list[Shape] = [
            Polyline(((self.left, zero), (self.left + self.width, zero)), "muted", 1),
            Text(self.left, self.top + self.height + 10, drawn_number(low), LABEL_SIZE - 1,
                 "muted", anchor="start"),
            Text(self.left + self.width, self.top + self.height + 10, drawn_number(high),
                 LABEL_SIZE - 1, "muted", anchor="end"),
            Text(self.left + self.width, self.top + self.height + 24, name, LABEL_SIZE, "muted",
                 anchor="end"),
        ]
        if low < 0 < high:
            shapes.append(Polyline(((self.x(0), self.top), (self.x(0), self.top + self.height)),
                                   "muted", 1))
        return shapes


def _stems(axes: _Axes, xs: np.ndarray, ys: np.ndarray, role: str, offset: float = 0.0
           ) -> list[Shape]:
    shapes: list[Shape] = []
    for a, b in zip(xs, ys):
        x = axes.x(a) + offset
        shapes.append(Polyline(((x, axes.y(0)), (x, axes.y(b))), role, 2))
        shapes.append(Rect(x - 2.5, axes.y(b) - 2.5, 5, 5, fill=role))
    return shapes


def describe_signal(plan: SignalPlan) -> str:
    spec = plan.spec
    inputs = " and ".join(f"x{index + 1}(t) = {source}" if len(spec.x) > 1 else f"x(t) = {source}"
                          for index, source in enumerate(spec.x))
    kind = "discrete convolution (sums over integer tau)" if spec.discrete else "convolution"
    summed = ", summed over the channels" if len(spec.x) > 1 else ""
    return (f"{kind} of h(t) = {spec.h} with {inputs}{summed}: in {len(plan.frame_times)} frames "
            f"t goes from {format_number(spec.t_range[0])} to {format_number(spec.t_range[1])}; "
            "above, h(tau) and the flipped, shifted x(t - tau) with their product shaded; below, "
            "y(t), the area of that product, traced as t moves.")


def signal_scene(plan: SignalPlan, *, frame_ms: int) -> Scene:
    spec = plan.spec
    inner = WIDTH - 2 * MARGIN
    products = plan.products
    top = _Axes(MARGIN, MARGIN + 20, inner, TOP_HEIGHT - 50, spec.tau_range,
                np.concatenate([plan.h, plan.shifted.ravel(), products.ravel()]))
    bottom = _Axes(MARGIN, TOP_HEIGHT + 20, inner, BOTTOM_HEIGHT - 50, spec.t_range,
                   plan.curve_y)
    height = TOP_HEIGHT + BOTTOM_HEIGHT + 30
    caption_y = height - MARGIN
    static: list[Shape] = [*top.axis_shapes("tau"), *bottom.axis_shapes("t")]
    legend = [("h(tau)", "signal_h"),
              *((f"x{index + 1}(t - tau)" if len(spec.x) > 1 else "x(t - tau)",
                 _channel_role(index)) for index in range(len(spec.x))),
              ("product", "signal_y")]
    x = MARGIN
    for text, role in legend:
        static.append(Text(x, MARGIN + 6, text, LABEL_SIZE, role, anchor="start"))
        x += font(LABEL_SIZE).getlength(text) + 18
    static.append(Text(MARGIN, TOP_HEIGHT + 8, "y(t) = sum over tau of the product"
                       if spec.discrete else "y(t) = area under the product", LABEL_SIZE,
                       "signal_y", anchor="start"))

    frames: list[tuple[Shape, ...]] = []
    reveals: list[tuple[int, Shape]] = []
    for index, t in enumerate(plan.frame_times):
        shapes: list[Shape] = []
        if spec.discrete:
            shapes += _stems(top, plan.tau, products[index].sum(axis=0), "area", 0)
            shapes += _stems(top, plan.tau, plan.h, "signal_h", -3)
            for channel, values in enumerate(plan.shifted[index]):
                shapes += _stems(top, plan.tau, values, _channel_role(channel), 3)
            for shape in _stems(bottom, plan.frame_times[index:index + 1],
                                plan.frame_y[index:index + 1], "signal_y"):
                reveals.append((index, shape))
        else:
            for channel in range(len(spec.x)):
                area = top.points(plan.tau, products[index, channel])
                baseline = ((area[-1][0], top.y(0)), (area[0][0], top.y(0)))
                shapes.append(Polygon(area + baseline, "area"))
            shapes.append(Polyline(top.points(plan.tau, plan.h), "signal_h", 2))
            for channel, values in enumerate(plan.shifted[index]):
                shapes.append(Polyline(top.points(plan.tau, values), _channel_role(channel), 2))
            drawn = plan.curve_t <= t + 1e-12
            if drawn.sum() >= 2:
                shapes.append(Polyline(bottom.points(plan.curve_t[drawn], plan.curve_y[drawn]),
                                       "signal_y", 2))
            shapes.append(Rect(bottom.x(t) - 3.5, bottom.y(plan.frame_y[index]) - 3.5, 7, 7,
                               fill="signal_y"))
        if spec.tau_range[0] <= t <= spec.tau_range[1]:
            shapes.append(Polyline(((top.x(t), top.top), (top.x(t), top.top + top.height)),
                                   "muted", 1))
        shapes.append(Polyline(((bottom.x(t), bottom.top), (bottom.x(t), bottom.top
                                                             + bottom.height)), "muted", 1))
        shapes.append(Text(MARGIN, caption_y,
                           f"t = {drawn_number(t)}   y(t) = {drawn_number(plan.frame_y[index])}",
                           LABEL_SIZE + 1, "muted", anchor="start"))
        frames.append(tuple(shapes))
    durations = [frame_ms] * len(frames)
    durations[-1] = frame_ms * 4
    return Scene(width=WIDTH, height=height, static=tuple(static), frames=tuple(frames),
                 reveals=tuple(reveals), durations_ms=tuple(durations),
                 alt=describe_signal(plan))

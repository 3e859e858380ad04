"""The non-animated views of a block as HTML: matrices and formulas as MathML, steps as a list.

MathML is written directly (the numbers are computed here, so there is no TeX to translate):
a matrix is an ``<mtable>`` between bracket operators. Cells carry classes
(``conv-zero``, ``conv-wrong``...) styled by ``conv.css`` so that colours follow the page's
light or dark theme.
"""
from __future__ import annotations

from collections.abc import Sequence
from html import escape

import numpy as np

from .figures import drawn_number, format_grid, weights_label
from .geometry import Axis, Plan, unrolled_matrix
from .spec import BlockError

MAX_UNROLLED_ENTRIES = 4096
MAX_STEP_TERMS = 20_000


def _mn(value: float, css_class: str = "") -> str:
    text = drawn_number(value)
    attribute = f' class="{css_class}"' if css_class else ""
    return f"<mn{attribute}>{text}</mn>"


def _mi(name: str) -> str:
    return f"<mi>{escape(name)}</mi>"


def _mo(symbol: str) -> str:
    return f"<mo>{escape(symbol)}</mo>"


def _paren(symbol: str) -> str:
    """A bracket around one line: not stretchy (Chromium lays a stretchy one out wider, with a
    gap inside)."""
    return f'<mo stretchy="false">{escape(symbol)}</mo>'


def _sub(base: str, subscript: str) -> str:
    return f"<msub>{base}{subscript}</msub>"


def _matrix(values: np.ndarray, *, cell_class: str = "", dim_zeros: bool = False,
           wrong: np.ndarray | None = None) -> str:
    """A bracketed MathML matrix; 1-D values become one row."""
    rows = np.atleast_2d(values)
    body = []
    for r, row in enumerate(rows):
        cells = []
        for c, value in enumerate(row):
            classes = [cell_class] if cell_class else []
            if dim_zeros and value == 0:
                classes.append("conv-zero")
            if wrong is not None and np.atleast_2d(wrong)[r, c]:
                classes.append("conv-wrong")
            cells.append(f"<mtd>{_mn(value, ' '.join(classes))}</mtd>")
        body.append("<mtr>" + "".join(cells) + "</mtr>")
    return f'<mrow>{_mo("[")}<mtable>{"".join(body)}</mtable>{_mo("]")}</mrow>'


def _math(*parts: str, label: str) -> str:
    return (f'<math display="block" class="conv-math" alttext="{escape(label)}">'
            + "".join(parts) + "</math>")


def result_view(plan: Plan) -> str:
    return _math(_mi("y"), _mo("="), _matrix(plan.result, cell_class="conv-output"),
                 label=f"output {format_grid(plan.result)}")


def kernel_view(plan: Plan) -> str:
    kernel = np.asarray(plan.spec.kernel)
    parts = []
    for channel, weights in enumerate(kernel):
        name = _sub(_mi("K"), _mn(channel + 1)) if len(kernel) > 1 else _mi("K")
        parts.append(_math(name, _mo("="), _matrix(weights, cell_class="conv-kernel"),
                           label=f"kernel {format_grid(weights)}"))
    return "".join(parts)


def flipped_kernel_view(plan: Plan) -> str:
    kernel = np.asarray(plan.spec.kernel)
    parts = []
    for channel, weights in enumerate(kernel):
        name = _sub(_mi("K"), _mn(channel + 1)) if len(kernel) > 1 else _mi("K")
        flipped = weights[::-1, ::-1]
        parts.append(_math(_mi("flip"), _paren("("), name, _paren(")"), _mo("="),
                           _matrix(flipped, cell_class="conv-flipped"),
                           label=f"flipped kernel {format_grid(flipped)}"))
    return "".join(parts)


def _axis_formula(axis: Axis, transposed: bool) -> str:
    """o = floor((i + p + p - d(k-1) - 1)/s) + 1, or its transposed counterpart, with numbers."""
    i, k, s, d = (_mn(value) for value in (axis.size, axis.kernel, axis.stride, axis.dilation))
    before, after, a = _mn(axis.pad_before), _mn(axis.pad_after), _mn(axis.output_padding)
    dilated = f"{d}{_mo('·')}{_paren('(')}{k}{_mo('−')}{_mn(1)}{_paren(')')}"
    if transposed:
        expression = (f"{_paren('(')}{i}{_mo('−')}{_mn(1)}{_paren(')')}{s}{_mo('−')}{before}"
                      f"{_mo('−')}{after}{_mo('+')}{dilated}{_mo('+')}{a}{_mo('+')}{_mn(1)}")
    else:
        numerator = (f"<mrow>{i}{_mo('+')}{before}{_mo('+')}{after}{_mo('−')}{dilated}"
                     f"{_mo('−')}{_mn(1)}</mrow>")
        expression = (f"{_mo('⌊')}<mfrac>{numerator}{s}</mfrac>{_mo('⌋')}{_mo('+')}{_mn(1)}")
    return _math(_sub(_mi("o"), _mi(axis.name)), _mo("="), expression, _mo("="),
                 _mn(axis.output), label=f"output {axis.name}: {axis.output}")


def sizes_view(plan: Plan) -> str:
    spec = plan.spec
    transposed = spec.mode == "transposed"
    axes = [plan.columns] if spec.one_dimensional else [plan.rows, plan.columns]
    rule = ("o = (i − 1)s − p<sub>before</sub> − p<sub>after</sub> + d(k − 1) + a + 1"
            if transposed else
            "o = ⌊(i + p<sub>before</sub> + p<sub>after</sub> − d(k − 1) − 1) / s⌋ + 1")
    return (f'<div class="conv-sizes"><p>Output size per axis: {rule} '
            "(i input, k kernel, p padding, s stride, d dilation"
            f"{', a output padding' if transposed else ''}).</p>"
            + "".join(_axis_formula(axis, transposed) for axis in axes) + "</div>")


def steps_view(plan: Plan) -> str:
    """Every output cell written out as its sum of products."""
    channels, out_h, out_w, k_h, k_w = plan.products.shape
    if plan.products.size > MAX_STEP_TERMS:
        raise BlockError(f"`show: steps` would write {plan.products.size} products; the limit "
                         f"is {MAX_STEP_TERMS}", hint="show the steps of a smaller example")
    items = []
    for i in range(out_h):
        for j in range(out_w):
            index = (_mn(j) if plan.spec.one_dimensional
                     else f"<mrow>{_mn(i)}<mo>,</mo>{_mn(j)}</mrow>")
            terms = []
            for channel in range(channels):
                for tap, (r, c) in enumerate(plan.window_cells(i, j)):
                    m, n = divmod(tap, k_w)
                    terms.append(f"{_mn(plan.picture[channel, r, c])}{_mo('·')}"
                                 f"{_mn(plan.weights[channel, m, n], 'conv-weight')}")
            items.append("<li>" + _math(_sub(_mi("y"), index), _mo("="),
                                        _mo("+").join(terms), _mo("="),
                                        _mn(plan.result[i, j], "conv-output"),
                                        label=f"y {i} {j}") + "</li>")
    weights = weights_label(plan)
    return (f'<ol class="conv-steps" aria-label="each output as window values times '
            f'{escape(weights)} weights">' + "".join(items) + "</ol>")


def unrolled_view(plan: Plan) -> str:
    """M · flatten(input) = flatten(output), then the reshape, as two block formulas."""
    spec = plan.spec
    flat_input = np.asarray(spec.input).reshape(-1, 1)
    if plan.result.size * flat_input.size > MAX_UNROLLED_ENTRIES:
        raise BlockError(f"`show: unrolled` would print a {plan.result.size}x{flat_input.size} "
                         f"matrix; the limit is {MAX_UNROLLED_ENTRIES} entries",
                         hint="unroll a smaller example (e.g. a 4x4 input and a 3x3 kernel)")
    unrolled = unrolled_matrix(plan)
    flat_output = plan.result.reshape(-1, 1)
    name = {"correlation": _mi("C"), "convolution": _mi("C"),
            "transposed": "<msup><mi>C</mi><mi>T</mi></msup>"}[spec.mode]
    product = _math(name, _matrix(unrolled, cell_class="conv-weight", dim_zeros=True),
                    _mo("·"), _matrix(flat_input, cell_class="conv-input"), _mo("="),
                    _matrix(flat_output, cell_class="conv-output"),
                    label=f"{unrolled.shape[0]} by {unrolled.shape[1]} matrix times the "
                          f"flattened input equals {format_grid(flat_output.ravel())}")
    # A 1-D output is already the flat vector: only a 2-D one is reshaped back into its grid.
    reshaped = "" if spec.one_dimensional else _math(
        _mi("reshape"), _mo("("), _matrix(flat_output.T, cell_class="conv-output"), _mo(")"),
        _mo("="), _matrix(plan.result, cell_class="conv-output"),
        label=f"reshaped output {format_grid(plan.result)}")
    channels_note = ", channels side by side" if len(spec.input) > 1 else ""
    shape_note = (f"{unrolled.shape[0]} × {unrolled.shape[1]} matrix "
                  f"(outputs × input cells{channels_note})")
    return (f'<div class="conv-unrolled"><p class="conv-note">{shape_note}</p>'
            f'<div class="conv-scroll" tabindex="0">{product}</div>{reshaped}</div>')


def check_view(claimed: np.ndarray, computed: np.ndarray, wrong: np.ndarray | None) -> str:
    """The visible result of ``check: report``: claimed next to computed, wrong cells marked."""
    if wrong is not None and not wrong.any():
        return ('<p class="conv-check conv-check-ok" role="note">The claimed values match the '
                "computed result.</p>")
    claimed_math = _math(_mi("claimed"), _mo("="), _matrix(claimed, wrong=wrong),
                         label=f"claimed {format_grid(claimed)}")
    computed_math = _math(_mi("computed"), _mo("="), _matrix(computed, cell_class="conv-output"),
                          label=f"computed {format_grid(computed)}")
    reason = ("The claimed values differ from the computed result"
              if wrong is not None else "The claimed values have a different shape from the "
                                        "computed result")
    return (f'<div class="conv-check conv-check-failed" role="note"><p>{reason}:</p>'
            f"{claimed_math}{computed_math}</div>")


def series_view(name: str, positions: Sequence[float], values: Sequence[float]) -> str:
    """A signal's output values as a two-row table of t and y(t)."""
    header = "".join(f"<th scope=\"col\">{drawn_number(t)}</th>" for t in positions)
    cells = "".join(f"<td>{drawn_number(value)}</td>" for value in values)
    return (f'<div class="conv-scroll" tabindex="0"><table class="conv-series"><tr><th scope="row">t</th>'
            f'{header}</tr><tr><th scope="row">{escape(name)}</th>{cells}</tr></table></div>')

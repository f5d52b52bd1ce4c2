"""Reading a PyTorch model (Glasgow Q1): parameter counts, layer shapes, the model on a new input.

The composite family (`two-models-shapes-params`) has two models on one image batch: model2 is a
stack of padded stride-2 convolutions; model1 flattens the image into one Linear layer sized to give
model2's number of outputs. The standalone families (`conv-stack-params`, `linear-model-params`,
`model-new-input`) ask the same of one model, drawn with the core drawers (`shapes.conv_stack`,
`shapes.image_batch`). Shapes come from `shapes.trace` on the meta device.
"""
from __future__ import annotations

import random
from typing import Any

from .. import Reject, SolveContext, Solved, drawer, rule, solver
from ..checkers import checker, differences
from ..handwork import layer_params as params_by_formula, stack_shapes
from ..mistakes import mistake
from ..effort import Work
from .shapes import _layer_map_problems, conv_stack, count_work, layer_shape_map, shape_work, trace
from ...inputs.layers import Layer, module, pair
from ...models import Params

SHORT = {"Sigmoid": "sig", "ReLU": "relu", "Tanh": "tanh"}


def input_shape(p: Params, size_key: str = "size") -> list[int]:
    """[N, C, H, W] for the drawn batch, channels and square size."""
    return [p["batch"], p["channels"], p[size_key], p[size_key]]


# Parameter counts a student works by hand: at most six digits, and no product beyond four digits
# times three (a Linear layer's in·out).
MAX_COUNT = 999_999
MAX_FACTORS = (9_999, 999)


def by_hand(features: int, out: int, budget: int = MAX_COUNT) -> bool:
    """A Linear(features, out) layer whose count (features·out + out) fits in `budget`, with
    features·out a product of at most 4 × 3 digits."""
    return (max(features, out) <= MAX_FACTORS[0] and min(features, out) <= MAX_FACTORS[1]
            and features * out + out <= budget)


@drawer("two_models_convs")
def two_models_convs(rng: random.Random, params: Params, convs: tuple[int, ...] = (2, 3),
                     activation: tuple[str, ...] = ("Sigmoid", "ReLU", "Tanh")) -> list[Layer]:
    """Padded stride-2 convolutions (each halves an even size exactly), activations, then Flatten.
    The number of convolutions is one whose output length keeps model1's Linear layer (image
    features → that length) countable by hand (`by_hand`), where one does."""
    act, channels, layers = rng.choice(list(activation)), params["channels"], []
    features = channels * params["size"] ** 2
    fits = [c for c in convs if by_hand(features, (-(-params["size"] // 2 ** c)) ** 2)]
    count = rng.choice(fits or list(convs))
    for i in range(1, count + 1):
        k = rng.choice([3, 5])
        out = 1 if i == count else rng.choice([2, 4, 6, 8])
        layers.append({"name": f"conv{i}", "layer": "Conv2d", "in": channels, "out": out, "kernel": k,
                       "stride": 2, "padding": k // 2})
        layers.append({"name": f"{SHORT[act]}{i}", "layer": act})
        channels = out
    return layers + [{"name": "flatten", "layer": "Flatten"}]


@drawer("two_models_linear")
def two_models_linear(rng: random.Random, params: Params) -> list[Layer]:
    """Flatten, one Linear layer giving as many outputs as model2, then model2's activation."""
    rows, failure = trace(input_shape(params), params["model2"])
    if failure:
        raise ValueError(failure)
    act = params["model2"][1]["layer"]
    features = params["channels"] * params["size"] ** 2
    return [{"name": "flatten", "layer": "Flatten"},
            {"name": "fc1", "layer": "Linear", "in": features, "out": rows[-1]["shape"][-1]},
            {"name": SHORT[act], "layer": act}]


@rule("two_models_new_size_differs")
def two_models_new_size_differs(p: Params) -> bool:
    """The second input has a different image size from the first."""
    return p["new_size"] != p["size"]


def layer_params(layer: Layer) -> dict[str, Any]:
    """Parameters of one layer: the real module's numel and the formula a student writes."""
    count = sum(t.numel() for t in module(layer).parameters())
    if layer["layer"] == "Linear":
        formula = f"{layer['in']} \\cdot {layer['out']} + {layer['out']}"
        by_hand = layer["in"] * layer["out"] + layer["out"]
    elif layer["layer"] == "Conv2d":
        k = layer["kernel"]
        formula = f"{layer['out']} \\cdot ({layer['in']} \\cdot {k} \\cdot {k}) + {layer['out']}"
        by_hand = layer["out"] * layer["in"] * k * k + layer["out"]
    else:
        formula, by_hand = "0", 0
    if count != by_hand:  # the module is the authority; the formula is what we show
        raise AssertionError(f"{layer['name']}: formula {by_hand} != torch {count}")
    return {"name": layer["name"], "layer": layer["layer"], "formula": formula, "count": count}


def count_table(layers: list[Layer]) -> list[dict[str, Any]]:
    """The layers that hold parameters, with their counts."""
    return [row for row in map(layer_params, layers) if row["count"]]


def mismatch(shape: list[int], layers: list[Layer], failed_at: int) -> str:
    """Why layer `failed_at` rejects an input of `shape`, in words a student would use."""
    layer = layers[failed_at]
    if layer["layer"] == "Linear":
        return (f"\\texttt{{{layer['name']}}} expects {layer['in']} input features per example, "
                f"but it receives {shape[-1]}")
    if layer["layer"] == "Conv2d" and shape[1] != layer["in"]:
        return f"\\texttt{{{layer['name']}}} expects {layer['in']} input channels, but it receives {shape[1]}"
    if layer["layer"] == "Conv2d":
        k, pad = layer["kernel"], layer.get("padding", 0)
        return (f"\\texttt{{{layer['name']}}}'s ${k} \\times {k}$ kernel does not fit its "
                f"${shape[2]} \\times {shape[3]}$ input (padding {pad})")
    return f"\\texttt{{{layer['name']}}} cannot take an input of shape {shape}"


def run_model(shape: list[int], layers: list[Layer]) -> dict[str, Any]:
    """Shapes through a model, or the layer where it fails and why."""
    rows, failure = trace(shape, layers)
    if not failure:
        return {"ok": True, "trace": rows, "final": rows[-1]["shape"], "why": ""}
    last = rows[-1]["shape"] if rows else shape
    return {"ok": False, "trace": rows, "final": None, "failed_layer": layers[len(rows)]["name"],
            "why": mismatch(last, layers, len(rows))}


def run_work(work: Work, shape: list[int], layers: list[Layer], run: dict[str, Any], check: bool = False) -> None:
    """The hand work of tracing `shape` through `layers` as far as `run` got (shapes.shape_work per
    layer); with `check`, one comparison per layer whose input size is fixed (a Linear layer's
    features, a convolution's channels), the failing layer's included."""
    for layer, row in zip(layers, run["trace"] + [None]):
        if check and layer["layer"] in ("Linear", "Conv2d"):
            work.compare()
        if row is None:
            break
        shape_work(work, layer, shape)
        shape = row["shape"]


def counts_work(work: Work, layers: list[Layer]) -> None:
    """Each layer's parameter count by its formula (shapes.count_work), then their sum."""
    for layer in layers:
        count_work(work, layer)
    work.sum([params_by_formula(layer) for layer in layers if layer["layer"] in ("Linear", "Conv2d")])


@solver("two_models")
def two_models(p: Params, ctx: SolveContext) -> Solved:
    """Counts (numel of the real modules), shapes for the first input, and the fate of a second input."""
    shape, new_shape = input_shape(p), input_shape(p, "new_size")
    runs = {name: run_model(shape, p[name]) for name in ("model1", "model2")}
    if not all(r["ok"] for r in runs.values()):
        raise Reject("a model cannot take the first input")
    new_runs = {name: run_model(new_shape, p[name]) for name in ("model1", "model2")}
    counts = {name: count_table(p[name]) for name in ("model1", "model2")}
    totals = {name: sum(r["count"] for r in rows) for name, rows in counts.items()}
    return Solved(
        answers={"model1_params": totals["model1"], "model2_params": totals["model2"],
                 "model1_shapes": [r["shape"] for r in runs["model1"]["trace"]],
                 "model2_shapes": [r["shape"] for r in runs["model2"]["trace"]],
                 "model1_layers": layer_shape_map(p["model1"], runs["model1"]["trace"]),   # the key's labels
                 "model2_layers": layer_shape_map(p["model2"], runs["model2"]["trace"]),
                 "model1_new": new_runs["model1"]["final"], "model2_new": new_runs["model2"]["final"]},
        work={"input_shape": shape, "new_shape": new_shape, "run1": runs["model1"], "run2": runs["model2"],
              "new1": new_runs["model1"], "new2": new_runs["model2"], "counts1": counts["model1"],
              "counts2": counts["model2"], "ratio": round(totals["model1"] / totals["model2"])},
        effort=_two_models_effort(p, shape, new_shape, runs, new_runs))


def _two_models_effort(p: Params, shape: list[int], new_shape: list[int], runs: dict[str, Any],
                       new_runs: dict[str, Any]) -> float:
    """(b), (c) each model's layer counts and their sum; (d) each layer's output shape for the first
    input; (f) the second input traced through each model to its output or to the layer that
    refuses it. Parts (a) and (e) are words."""
    work = Work()
    for name in ("model1", "model2"):
        counts_work(work, p[name])
        run_work(work, shape, p[name], runs[name])
        run_work(work, new_shape, p[name], new_runs[name], check=True)
    return work.total


@drawer("model_reading_mlp")
def model_reading_mlp(rng: random.Random, params: Params, depth: tuple[int, ...] = (1, 2),
                      max_count: int | None = None) -> list[Layer]:
    """Flatten, then one or two Linear layers (each followed by an activation). With `max_count`,
    each layer's width is one that keeps the model's parameter count within it and every in·out
    product within 4 × 3 digits (`by_hand`); a second layer that cannot is left out."""
    act = rng.choice(["Sigmoid", "ReLU", "Tanh"])
    n, c, h, w = params["input"]
    layers: list[Layer] = [{"name": "flatten", "layer": "Flatten"}]
    width, left = c * h * w, max_count
    for i in range(1, rng.choice(list(depth)) + 1):
        outs = [10, 16, 32, 64, 100, 128, 256, 784]
        if left is not None:
            outs = [o for o in outs if by_hand(width, o, left)]
            if not outs and i > 1:
                break
            outs = outs or [10]
        out = rng.choice(outs)
        if left is not None:
            left -= width * out + out
        layers += [{"name": f"fc{i}", "layer": "Linear", "in": width, "out": out},
                   {"name": f"{SHORT[act]}{i}", "layer": act}]
        width = out
    return layers


@drawer("model_reading_any")
def model_reading_any(rng: random.Random, params: Params, kinds: tuple[str, ...] = ("mlp", "conv", "conv+linear"),
                      convs: tuple[int, ...] = (2, 3)) -> list[Layer]:
    """A fully connected model, a conv stack, or a conv stack ending in a Linear layer (one of `kinds`)."""
    kind = rng.choice(list(kinds))
    if kind == "mlp":
        return model_reading_mlp(rng, params, depth=(1,))
    return conv_stack(rng, params, convs=tuple(convs), linear=kind == "conv+linear")


@drawer("model_reading_other_input")
def model_reading_other_input(rng: random.Random, params: Params, other_size: float = 0.7) -> list[int]:
    """The first input with another image size (same channels; a share `other_size` of draws) or
    with the other channel count."""
    n, c, h, w = params["input"]
    if rng.random() < other_size:
        size = rng.choice([s for s in (28, 32, 48, 64, 96, 128) if s != h])
        return [n, c, size, size]
    return [n, 4 - c if c in (1, 3) else 1, h, w]


@solver("model_params")
def model_params(p: Params, ctx: SolveContext) -> Solved:
    """Trainable parameters of a layer stack (real modules' numel), with each layer's formula."""
    run = run_model(p["input"], p["layers"])
    if not run["ok"]:
        raise Reject("the model cannot take the input")
    rows = count_table(p["layers"])
    work = Work()   # each layer's count by its formula, then the sum
    counts_work(work, p["layers"])
    return Solved(answers={"total": sum(r["count"] for r in rows)}, work={"counts": rows}, effort=work.total)


@solver("model_new_input")
def model_new_input(p: Params, ctx: SolveContext) -> Solved:
    """Shapes for the input the model was built for, then for another input: output or failure."""
    first, second = run_model(p["input"], p["layers"]), run_model(p["other_input"], p["layers"])
    if not first["ok"]:
        raise Reject("the model cannot take its own input")
    outcome: Any = second["final"] if second["ok"] else f"fails at {second['failed_layer']}"
    work = Work()   # the intended input traced to its output, then the other input to its outcome
    run_work(work, p["input"], p["layers"], first)
    run_work(work, p["other_input"], p["layers"], second, check=True)
    return Solved(answers={"final_shape": first["final"], "other_outcome": outcome},
                  work={"first": first, "second": second}, effort=work.total)


# --- independent check (examgen check): the answers computed another way --------------------

def run_by_formula(shape: list[int], layers: list[dict[str, Any]]) -> list[int] | str:
    """The final shape, or the name of the first layer whose fixed size does not match."""
    for layer in layers:
        wrong_linear = layer["layer"] == "Linear" and shape[-1] != layer["in"]
        wrong_conv = layer["layer"] == "Conv2d" and shape[1] != layer["in"]
        if wrong_linear or wrong_conv:
            return layer["name"]
        shape = stack_shapes(shape, [layer])[-1]
        if min(shape) < 1:
            return layer["name"]
    return shape


@checker("two_models")
def check_two_models(p: Params, solved: Solved) -> list[str]:
    """Counts and shapes by formula; the second input's fate by size matching."""
    shape = [p["batch"], p["channels"], p["size"], p["size"]]
    new = [p["batch"], p["channels"], p["new_size"], p["new_size"]]
    problems = []
    for name in ("model1", "model2"):
        layers = p[name]
        problems += differences(f"{name}_params", solved.answers[f"{name}_params"], sum(map(params_by_formula, layers)))
        problems += differences(f"{name}_shapes", solved.answers[f"{name}_shapes"], stack_shapes(shape, layers))
        problems += _layer_map_problems(f"{name}_layers", solved.answers[f"{name}_layers"], layers,
                                        [{"shape": s} for s in stack_shapes(shape, layers)])
        fate = run_by_formula(new, layers)
        if (solved.answers[f"{name}_new"] is None) != isinstance(fate, str):
            problems.append(f"{name}_new: solver gives {solved.answers[f'{name}_new']}, formula gives {fate}")
        elif not isinstance(fate, str):
            problems += differences(f"{name}_new", solved.answers[f"{name}_new"], fate)
    return problems


@checker("model_params")
def check_model_params(p: Params, solved: Solved) -> list[str]:
    return differences("total", solved.answers["total"], sum(map(params_by_formula, p["layers"])))


@checker("model_new_input")
def check_model_new_input(p: Params, solved: Solved) -> list[str]:
    """The intended input's shape by formula; the other input's shape or failing layer by size matching."""
    fate = run_by_formula(p["other_input"], p["layers"])
    want = f"fails at {fate}" if isinstance(fate, str) else fate
    return (differences("final_shape", solved.answers["final_shape"], run_by_formula(p["input"], p["layers"]))
            + ([] if solved.answers["other_outcome"] == want else [f"other_outcome: {solved.answers['other_outcome']} vs {want}"]))


# --- mistakes: the wrong answers students give, as distractors ------------------------------

def _layers_with_params(layers: list[dict[str, Any]]) -> list[tuple[int, int, int]]:
    """(weights, inputs, outputs) of each Linear or Conv2d layer."""
    out = []
    for layer in layers:
        if layer["layer"] == "Linear":
            out.append((layer["in"] * layer["out"], layer["in"], layer["out"]))
        elif layer["layer"] == "Conv2d":
            kh, kw = pair(layer["kernel"])
            out.append((layer["in"] * layer["out"] * kh * kw, layer["in"], layer["out"]))
    return out


def _stack_mistakes(key: str, prefix: str) -> None:
    """Register the parameter-count mistakes for the layer stack in parameter `key`."""
    @mistake(f"{prefix}_no_bias", "Leaves out the biases (one per output unit or filter).")
    def no_bias(p: Params, s: Solved, ctx: SolveContext) -> int:
        return sum(w for w, _, _ in _layers_with_params(p[key]))

    @mistake(f"{prefix}_bias_per_input", "Gives each layer one bias per input instead of one per output.")
    def bias_per_input(p: Params, s: Solved, ctx: SolveContext) -> int:
        return sum(w + i for w, i, _ in _layers_with_params(p[key]))

    @mistake(f"{prefix}_sizes_added", "Adds each layer's input and output sizes instead of multiplying them.")
    def sizes_added(p: Params, s: Solved, ctx: SolveContext) -> int:
        return sum(w // (i * o) * (i + o) + o for w, i, o in _layers_with_params(p[key]))

    @mistake(f"{prefix}_last_layer_only", "Counts only the last layer with parameters.")
    def last_only(p: Params, s: Solved, ctx: SolveContext) -> int | None:
        rows = _layers_with_params(p[key])
        return None if len(rows) < 2 else rows[-1][0] + rows[-1][2]

    @mistake(f"{prefix}_one_unit", "Counts one output unit (one filter) of each layer, its weights and its bias, "
             "instead of all of them.")
    def one_unit(p: Params, s: Solved, ctx: SolveContext) -> int:
        return sum(w // o + 1 for w, _, o in _layers_with_params(p[key]))

    @mistake(f"{prefix}_no_depth", "Forgets that a kernel spans all its input channels (and that a unit after "
             "\\texttt{Flatten} sees every channel): the channels of the input are left out of the weights.")
    def no_depth(p: Params, s: Solved, ctx: SolveContext) -> int | None:
        shape, total, changed = _input(p, key), 0, False
        for layer in p[key]:
            if layer["layer"] == "Conv2d":
                kh, kw = pair(layer["kernel"])
                total += (kh * kw + 1) * layer["out"]
                changed |= layer["in"] > 1
            elif layer["layer"] == "Linear":
                first = layer is next(l for l in p[key] if l["layer"] in ("Linear", "Conv2d"))
                inputs = layer["in"] // shape[1] if first and shape[1] > 1 else layer["in"]
                total += (inputs + 1) * layer["out"]
                changed |= inputs != layer["in"]
        return total if changed else None

    @mistake(f"{prefix}_bias_units", "Adds a bias unit on both sides of each layer: $(n_{in} + 1)(n_{out} + 1)$ "
             "for a \\texttt{Linear} layer, $(C_{in} k^2 + 1)(C_{out} + 1)$ for a convolution.")
    def bias_units(p: Params, s: Solved, ctx: SolveContext) -> int:
        return sum((w // o + 1) * (o + 1) for w, _, o in _layers_with_params(p[key]))

    @mistake(f"{prefix}_batch_counted", "Multiplies by the batch size, as if each input in the batch had its own "
             "weights.")
    def batch_counted(p: Params, s: Solved, ctx: SolveContext) -> int | None:
        batch = _input(p, key)[0]
        return None if batch == 1 else batch * sum(w + o for w, _, o in _layers_with_params(p[key]))

    @mistake(f"{prefix}_no_sharing", "Forgets that a convolution shares its weights: counts a separate kernel and "
             "bias at every output position.")
    def no_sharing(p: Params, s: Solved, ctx: SolveContext) -> int | None:
        layers = p[key]
        if not any(layer["layer"] == "Conv2d" for layer in layers):
            return None
        shapes = stack_shapes(_input(p, key), layers)
        total = 0
        for layer, shape in zip(layers, shapes):
            count = params_by_formula(layer)
            total += count * shape[-1] * shape[-2] if layer["layer"] == "Conv2d" else count
        return total


def _input(p: Params, key: str) -> list[int]:
    """[N, C, H, W] of the batch the stack in parameter `key` reads."""
    return p["input"] if "input" in p else input_shape(p)


_stack_mistakes("layers", "params")


_stack_mistakes("model1", "model1")


_stack_mistakes("model2", "model2")

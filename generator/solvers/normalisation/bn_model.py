"""Adding batch normalisation to a small CNN: the model answer as code, and the same model built in Python.

The code text is generated here from the parameters (never taken from bank text); tests run it and
compare it with `build_model`, which constructs the module directly."""
from __future__ import annotations

from .. import SolveContext, Solved, rule, solver
from ..checkers import checker, differences
from ..effort import Work
from ...models import Params

CONVS = ("conv1", "conv2", "conv3", "conv4")


def side(image_size: int) -> int:
    """Spatial size after conv(3), conv(3), pool(2), conv(3), conv(3), pool(2)."""
    return ((image_size - 4) // 2 - 4) // 2


def channels(p: Params) -> list[tuple[int, int]]:
    """(in, out) channels of the four convolutions."""
    c0, c1, c2 = p["in_channels"], p["c1"], p["c2"]
    return [(c0, c1), (c1, c1), (c1, c2), (c2, c2)]


def answer_code(p: Params) -> str:
    """The model with a BatchNorm2d after every convolution, before its ReLU."""
    conv_lines, bn_lines, calls = [], [], []
    for name, (cin, cout) in zip(CONVS, channels(p)):
        conv_lines.append(f"        self.{name} = nn.Conv2d(in_channels={cin}, out_channels={cout}, kernel_size=3)")
        bn_lines.append(f"        self.{name}_bn = nn.BatchNorm2d({cout})")
        calls.append(f"        out = F.relu(self.{name}_bn(self.{name}({'x' if name == 'conv1' else 'out'})))")
    s = side(p["image_size"])
    init = [conv_lines[0], bn_lines[0], conv_lines[1], bn_lines[1],
            "        self.maxpool1 = nn.MaxPool2d(kernel_size=2)", conv_lines[2], bn_lines[2],
            conv_lines[3], bn_lines[3], "        self.maxpool2 = nn.MaxPool2d(kernel_size=2)",
            f"        self.fc1 = nn.Linear(in_features={p['c2']}*{s}*{s}, out_features={p['classes']})"]
    forward = [calls[0], calls[1], "        out = self.maxpool1(out)", calls[2], calls[3],
               "        out = self.maxpool2(out)", "        out = out.view(out.size(0), -1)",
               "        out = self.fc1(out)", "        return out"]
    return "\n".join(["class Model(nn.Module):", "    def __init__(self):", "        super().__init__()", *init,
                      "", "    def forward(self, x):", *forward])


def build_model(p: Params, batchnorm: bool = True) -> "torch.nn.Module":  # noqa: F821
    """The same network built directly from the parameters (no code text involved)."""
    import torch.nn as nn

    layers: list[nn.Module] = []
    for i, (cin, cout) in enumerate(channels(p)):
        layers += [nn.Conv2d(cin, cout, 3), *([nn.BatchNorm2d(cout)] if batchnorm else []), nn.ReLU()]
        if i in (1, 3):
            layers.append(nn.MaxPool2d(2))
    s = side(p["image_size"])
    return nn.Sequential(*layers, nn.Flatten(), nn.Linear(p["c2"] * s * s, p["classes"]))


@rule("bn_model_sizes_fit")
def bn_model_sizes_fit(p: Params) -> bool:
    """Both poolings see an even size, and at least a 3x3 map reaches the linear layer."""
    return (p["image_size"] - 4) % 2 == 0 and ((p["image_size"] - 4) // 2 - 4) % 2 == 0 and side(p["image_size"]) >= 3


@solver("bn_model_answer")
def bn_model_answer(p: Params, ctx: SolveContext) -> Solved:
    """Run the batch-normalised model in training mode on a small batch; count what BN adds."""
    import torch

    model = build_model(p).to(ctx.device, torch.float64).train()
    x = torch.zeros(2, p["in_channels"], p["image_size"], p["image_size"], dtype=torch.float64, device=ctx.device)
    out = model(x)
    plain = sum(t.numel() for t in build_model(p, batchnorm=False).parameters())
    total = sum(t.numel() for t in model.parameters())
    work = Work()   # the answer's hand work: per convolution, its BatchNorm2d defined with the
    work.step(2 * len(CONVS))   # channels read off it, and its call in forward changed
    return Solved(answers={"output_shape": list(out.shape), "bn_parameters": total - plain},
                  work={"code": answer_code(p), "side": side(p["image_size"]), "plain_parameters": plain},
                  effort=work.total)


# --- independent check (examgen check): the answers computed another way --------------------

@checker("bn_model_answer")
def check_bn_model_answer(p: Params, solved: Solved) -> list[str]:
    """A BatchNorm2d after each of the four convolutions adds a scale and a shift per channel;
    the logits keep the batch of two and one value per class."""
    added = 2 * (p["c1"] + p["c1"] + p["c2"] + p["c2"])
    return (differences("bn_parameters", solved.answers["bn_parameters"], added)
            + differences("output_shape", solved.answers["output_shape"], [2, p["classes"]]))

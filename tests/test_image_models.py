"""The image models of sbcore.models.images (the chapter "Simplicity bias on real images"):
output shapes and downsampling on MNIST-CIFAR-sized batches, parameter counts against
closed-form counts written here from each architecture's table (and against torchvision's
ImageNet counts, adjusted for the CIFAR stem and a 2-class head), seeded building, bad
arguments refused, and a SmallCNN that can memorise a small batch."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn

import sbcore.models as models
from sbcore.models.images import (
    IMAGE_MODELS,
    SmallCNN,
    build_image_model,
    densenet121,
    googlenet,
    mobilenet_v2,
    resnet50,
)

NAMES = ["MobileNetV2", "GoogLeNet", "ResNet50", "DenseNet121", "SmallCNN", "MediumCNN"]


def n_params(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


# ------------------------------------------------------------------------------------------
# closed-form parameter counts, layer by layer, from each architecture's published table
# ------------------------------------------------------------------------------------------

def conv(k: int, c_in: int, c_out: int, groups: int = 1) -> int:
    """A k x k conv without bias (every conv here is followed by batch norm)."""
    return k * k * (c_in // groups) * c_out


def bn(c: int) -> int:
    return 2 * c  # weight and bias (running statistics are buffers)


def linear(n_in: int, n_out: int) -> int:
    return n_in * n_out + n_out


def count_resnet50(classes: int) -> int:
    total = conv(3, 3, 64) + bn(64)  # CIFAR stem; the max-pool has no parameters
    c = 64
    for width, blocks in [(64, 3), (128, 4), (256, 6), (512, 3)]:
        for b in range(blocks):
            total += conv(1, c, width) + bn(width) + conv(3, width, width) + bn(width)
            total += conv(1, width, 4 * width) + bn(4 * width)
            if b == 0:  # projection shortcut: the channels (and, from stage 2, the size) change
                total += conv(1, c, 4 * width) + bn(4 * width)
            c = 4 * width
    return total + linear(2048, classes)


def count_densenet121(classes: int) -> int:
    growth, inner = 32, 4 * 32
    total = conv(3, 3, 64) + bn(64)
    c = 64
    blocks = [6, 12, 24, 16]
    for i, layers in enumerate(blocks):
        for _ in range(layers):
            total += bn(c) + conv(1, c, inner) + bn(inner) + conv(3, inner, growth)
            c += growth
        if i < len(blocks) - 1:
            total += bn(c) + conv(1, c, c // 2)
            c //= 2
    assert c == 1024
    return total + bn(c) + linear(c, classes)


def count_mobilenet_v2(classes: int) -> int:
    total = conv(3, 3, 32) + bn(32)
    c = 32
    # the paper's (t, c, n, s) table; strides (2 -> 1 in the CIFAR version) carry no parameters
    for t, out, n, _s in [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2),
                          (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1)]:
        for _ in range(n):
            hidden = c * t
            if t != 1:
                total += conv(1, c, hidden) + bn(hidden)
            total += conv(3, hidden, hidden, groups=hidden) + bn(hidden)
            total += conv(1, hidden, out) + bn(out)
            c = out
    return total + conv(1, 320, 1280) + bn(1280) + linear(1280, classes)


def count_googlenet(classes: int) -> int:
    total = conv(3, 3, 192) + bn(192)
    blocks = [  # in, 1x1, 3x3 reduce, 3x3, 5x5 reduce, 5x5 (a 3x3 conv here), pool proj
        (192, 64, 96, 128, 16, 32, 32), (256, 128, 128, 192, 32, 96, 64),
        (480, 192, 96, 208, 16, 48, 64), (512, 160, 112, 224, 24, 64, 64),
        (512, 128, 128, 256, 24, 64, 64), (512, 112, 144, 288, 32, 64, 64),
        (528, 256, 160, 320, 32, 128, 128),
        (832, 256, 160, 320, 32, 128, 128), (832, 384, 192, 384, 48, 128, 128)]
    for c_in, a, b_red, b, c_red, c5, p in blocks:
        total += conv(1, c_in, a) + bn(a)
        total += conv(1, c_in, b_red) + bn(b_red) + conv(3, b_red, b) + bn(b)
        total += conv(1, c_in, c_red) + bn(c_red) + conv(3, c_red, c5) + bn(c5)
        total += conv(1, c_in, p) + bn(p)
    return total + linear(1024, classes)


def count_small_cnn(channels, classes: int) -> int:
    total, c_in = 0, 3
    for c in channels:
        total += conv(3, c_in, c) + bn(c)
        c_in = c
    return total + linear(c_in, classes)


CLOSED_FORM = {"ResNet50": count_resnet50, "DenseNet121": count_densenet121,
               "MobileNetV2": count_mobilenet_v2, "GoogLeNet": count_googlenet,
               "SmallCNN": lambda classes: count_small_cnn((16, 32, 64), classes),
               "MediumCNN": lambda classes: count_small_cnn((16, 32, 64, 128, 128), classes)}

# torchvision's ImageNet models (1000 classes, no auxiliary heads) as a cross-check: their
# documented parameter counts, minus their stems and 1000-way heads, plus the CIFAR stems and
# 2-way heads. The strides (MobileNetV2's) and the pools carry no parameters.
TORCHVISION_1000 = {"ResNet50": 25_557_032, "DenseNet121": 7_978_856,
                    "MobileNetV2": 3_504_872, "GoogLeNet": 6_624_904}
STEM_CHANGE = {  # CIFAR stem minus ImageNet stem
    "ResNet50": conv(3, 3, 64) - conv(7, 3, 64),
    "DenseNet121": conv(3, 3, 64) - conv(7, 3, 64),
    "MobileNetV2": 0,  # same 3x3 conv, only its stride differs
    # one 3x3 conv to 192 channels replaces 7x7 conv to 64, 1x1 conv 64 -> 64, 3x3 to 192
    "GoogLeNet": (conv(3, 3, 192) + bn(192)) - (conv(7, 3, 64) + bn(64) + conv(1, 64, 64)
                                                + bn(64) + conv(3, 64, 192) + bn(192)),
}
FEATURES = {"ResNet50": 2048, "DenseNet121": 1024, "MobileNetV2": 1280, "GoogLeNet": 1024}
AT_TWO_CLASSES = {"ResNet50": 23_504_450, "DenseNet121": 6_948_226,
                  "MobileNetV2": 2_226_434, "GoogLeNet": 5_482_786, "SmallCNN": 23_826,
                  "MediumCNN": 245_650}


def test_two_class_counts_follow_from_torchvision():
    for name, count in TORCHVISION_1000.items():
        head_change = linear(FEATURES[name], 2) - linear(FEATURES[name], 1000)
        assert count + STEM_CHANGE[name] + head_change == AT_TWO_CLASSES[name], name


@pytest.mark.parametrize("name", NAMES)
def test_parameter_counts_match_closed_form(name):
    for classes in (2, 10):
        model = build_image_model(name, num_classes=classes)
        assert n_params(model) == CLOSED_FORM[name](classes)
    assert CLOSED_FORM[name](2) == AT_TWO_CLASSES[name]


def test_small_cnn_counts_for_other_channels():
    for channels, classes in [((8,), 2), ((8, 16), 3), ((4, 8, 16, 32), 2)]:
        assert n_params(SmallCNN(channels, num_classes=classes)) == count_small_cnn(
            channels, classes)


# ------------------------------------------------------------------------------------------
# shapes, strides and pools
# ------------------------------------------------------------------------------------------

# the feature map's height x width before the average pool, for a 64 x 32 image: how much
# each network downsamples (ResNet50 and DenseNet121: stem max-pool 2 then 8; MobileNetV2: 8;
# GoogLeNet: two max-pools; SmallCNN: three stride-2 stages, MediumCNN five)
FEATURE_MAP = {"ResNet50": (4, 2), "DenseNet121": (4, 2), "MobileNetV2": (8, 4),
               "GoogLeNet": (16, 8), "SmallCNN": (8, 4), "MediumCNN": (2, 1)}


@pytest.mark.parametrize("name", NAMES)
def test_outputs_and_downsampling(name):
    model = build_image_model(name).eval()
    x = torch.rand(2, 3, 64, 32)
    with torch.no_grad():
        logits = model(x)
        feature_map = model.features(x)
        square = model(torch.rand(1, 3, 32, 32))
    assert logits.shape == (2, 2) and logits.dtype == torch.float32
    assert torch.isfinite(logits).all()
    assert tuple(feature_map.shape[-2:]) == FEATURE_MAP[name]
    assert square.shape == (1, 2)
    with torch.no_grad():
        assert build_image_model(name, num_classes=5).eval()(x).shape == (2, 5)


@pytest.mark.parametrize("name", NAMES[:4])  # the paper's four (SmallCNN strides from the start)
def test_cifar_stem_and_heads(name):
    model = build_image_model(name)
    first = next(m for m in model.modules() if isinstance(m, nn.Conv2d))
    assert first.kernel_size == (3, 3) and first.stride == (1, 1) and first.in_channels == 3
    dropouts = [m.p for m in model.modules() if isinstance(m, nn.Dropout)]
    assert dropouts == ([0.2] if name in ("MobileNetV2", "GoogLeNet") else [])
    if name in ("ResNet50", "DenseNet121"):  # the stride-2 max-pool right after the stem
        assert isinstance(model.features[3], nn.MaxPool2d) and model.features[3].stride == 2


def test_factories_and_exports():
    assert list(IMAGE_MODELS) == NAMES
    assert models.IMAGE_MODELS is IMAGE_MODELS
    assert models.build_image_model is build_image_model and models.SmallCNN is SmallCNN
    for factory, name in [(resnet50, "ResNet50"), (densenet121, "DenseNet121"),
                          (mobilenet_v2, "MobileNetV2"), (googlenet, "GoogLeNet")]:
        assert IMAGE_MODELS[name] is factory
        assert type(factory(num_classes=3)).__name__ == name


# ------------------------------------------------------------------------------------------
# seeded building
# ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", NAMES)
def test_build_is_seeded_and_leaves_global_rng(name):
    torch.manual_seed(123)
    before = torch.get_rng_state()
    a = build_image_model(name, seed=7).state_dict()
    assert torch.equal(torch.get_rng_state(), before)
    b = build_image_model(name, seed=7).state_dict()
    c = build_image_model(name, seed=8).state_dict()
    assert list(a) == list(b)
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert any(not torch.equal(a[k], c[k]) for k in a)
    torch.manual_seed(123)
    assert torch.equal(torch.get_rng_state(), before)


# ------------------------------------------------------------------------------------------
# bad arguments: a ValueError naming the parameter
# ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["resnet50", "ResNet18", "", None])
def test_unknown_name(name):
    with pytest.raises(ValueError, match=r"name .*allowed: MobileNetV2, GoogLeNet, ResNet50"):
        build_image_model(name)
    if name:
        with pytest.raises(ValueError, match=repr(name)):
            build_image_model(name)


@pytest.mark.parametrize("classes", [1, 0, -2, 2.0, True, "2", None])
def test_bad_num_classes(classes):
    with pytest.raises(ValueError, match="num_classes"):
        build_image_model("SmallCNN", num_classes=classes)
    for factory in (SmallCNN, resnet50, densenet121, mobilenet_v2, googlenet):
        with pytest.raises(ValueError, match="num_classes"):
            factory(num_classes=classes)


@pytest.mark.parametrize("seed", [-1, 2**32, 1.5, None])
def test_bad_seed(seed):
    with pytest.raises(ValueError, match="seed"):
        build_image_model("SmallCNN", seed=seed)


@pytest.mark.parametrize("channels", [(), (16, 0), (16, 2.5), "abc", 16, None])
def test_bad_small_cnn_channels(channels):
    with pytest.raises(ValueError, match="channels"):
        SmallCNN(channels)


@pytest.mark.parametrize("shape", [(2, 1, 64, 32), (3, 64, 32), (2, 3, 64, 32, 1)])
def test_bad_images(shape):
    model = SmallCNN().eval()
    with pytest.raises(ValueError, match=r"\(n, 3, H, W\)"):
        model(torch.rand(shape))
    with pytest.raises(ValueError, match=r"\(n, 3, H, W\)"):
        build_image_model("MobileNetV2").eval()(torch.rand(shape))


# ------------------------------------------------------------------------------------------
# SmallCNN can learn
# ------------------------------------------------------------------------------------------

def test_small_cnn_memorises_a_small_batch():
    """32 random 3 x 64 x 32 images with random labels: Adam (lr 0.01) reaches train
    accuracy 1.0 (eval mode, running statistics) within 200 steps; in practice about 50."""
    generator = torch.Generator().manual_seed(0)
    x = torch.rand(32, 3, 64, 32, generator=generator)
    y = torch.randint(0, 2, (32,), generator=generator)
    model = build_image_model("SmallCNN", seed=0)
    optimiser = torch.optim.Adam(model.parameters(), lr=1e-2)
    accuracy = 0.0
    for step in range(1, 201):
        model.train()
        optimiser.zero_grad()
        F.cross_entropy(model(x), y).backward()
        optimiser.step()
        if step % 10 == 0:
            model.eval()
            with torch.no_grad():
                accuracy = (model(x).argmax(1) == y).float().mean().item()
            if accuracy == 1.0:
                break
    assert accuracy == 1.0

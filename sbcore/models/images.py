"""Image models of the chapter "Simplicity bias on real images": the four networks the paper
trains from scratch on MNIST-CIFAR (MobileNetV2, GoogLeNet, ResNet50, DenseNet121) and a small
CNN for the quick profile on a CPU.

The paper's code uses the CIFAR versions of the four networks from the PyTorch_CIFAR10 collection
(the official repository's cifar10_models/, vendored from huyvnphan/PyTorch_CIFAR10). They differ
from the ImageNet models mainly in the stem: a 3 x 3 convolution with stride 1 instead of a 7 x 7
with stride 2, so that a small image is not shrunk at once. Every model here takes a float batch (n,
3, H, W), with H and W multiples of 32 and at least 32 (the book's MNIST-CIFAR images are 3 x 64 x
32: MNIST on top of CIFAR), and returns (n, num_classes) logits. An adaptive average pool sits
before every head, so any such H x W gives a feature vector of fixed length.

``build_image_model(name, num_classes, seed)`` builds one of ``IMAGE_MODELS`` by name with a
seeded initialisation that leaves the global random state untouched.
"""

from __future__ import annotations

import torch
from torch import nn

from sbcore.checks import ParameterTypeError, check_choice, check_int, check_seed


def _check_classes(num_classes) -> int:
    """The number of output logits: an integer >= 2 (the book classifies with cross-entropy)."""
    return check_int("num_classes", num_classes, minimum=2)


def _check_images(x: torch.Tensor) -> None:
    """A batch of RGB images (n, 3, H, W), refused with a ValueError otherwise."""
    if not isinstance(x, torch.Tensor) or x.dim() != 4 or x.shape[1] != 3:
        shape = tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__
        raise ValueError(f"images must be a tensor of shape (n, 3, H, W), got {shape}")


class _ImageClassifier(nn.Module):
    """Shared forward of the image models: check the batch, run ``features`` (a feature map),
    average it over the whole image, then ``head`` (the classifier) gives the logits."""

    features: nn.Module
    head: nn.Module

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        _check_images(x)
        pooled = nn.functional.adaptive_avg_pool2d(self.features(x), 1).flatten(1)
        return self.head(pooled)


# ------------------------------------------------------------------------------------------
# ResNet50
# ------------------------------------------------------------------------------------------

# (bottleneck width, number of blocks, stride of the first block) for each of the 4 stages;
# every block outputs 4 x width channels
RESNET50_STAGES = ((64, 3, 1), (128, 4, 2), (256, 6, 2), (512, 3, 2))
BOTTLENECK_EXPANSION = 4


class _Bottleneck(nn.Module):
    """ResNet's bottleneck block (used by the images chapter's ResNet50): 1x1 conv down to
    ``width`` channels, 3x3 conv (carrying the stride), 1x1 conv up to 4 x width, each followed
    by batch norm, ReLU after the sum with the shortcut. The shortcut is the identity, or a
    strided 1x1 conv with batch norm where the shape changes."""

    def __init__(self, channels_in: int, width: int, stride: int):
        super().__init__()
        out = width * BOTTLENECK_EXPANSION
        self.body = nn.Sequential(
            nn.Conv2d(channels_in, width, 1, bias=False), nn.BatchNorm2d(width),
            nn.ReLU(inplace=True),
            nn.Conv2d(width, width, 3, stride=stride, padding=1, bias=False),
            nn.BatchNorm2d(width), nn.ReLU(inplace=True),
            nn.Conv2d(width, out, 1, bias=False), nn.BatchNorm2d(out))
        self.shortcut: nn.Module = nn.Identity()
        if stride != 1 or channels_in != out:
            self.shortcut = nn.Sequential(
                nn.Conv2d(channels_in, out, 1, stride=stride, bias=False), nn.BatchNorm2d(out))
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.relu(self.body(x) + self.shortcut(x))


class ResNet50(_ImageClassifier):
    """ResNet50, CIFAR version, as used by the images chapter.

    - stem: 3x3 conv 3 -> 64, stride 1, batch norm, ReLU (the ImageNet model's 7x7 stride-2
      conv replaced, as in the official code's CIFAR version), then the 3x3 stride-2 max-pool,
      which that version keeps;
    - bottleneck stages [3, 4, 6, 3] of widths 64, 128, 256, 512 (outputs 4x), the stride 2 of
      stages 2-4 on the 3x3 conv of their first block;
    - adaptive average pool, linear 2048 -> num_classes;
    - convs Kaiming-normal (fan_out, ReLU gain), batch norm weight 1 and bias 0, the linear
      layer at PyTorch's default.
    """

    def __init__(self, num_classes: int = 2):
        super().__init__()
        num_classes = _check_classes(num_classes)
        layers: list[nn.Module] = [
            nn.Conv2d(3, 64, 3, stride=1, padding=1, bias=False), nn.BatchNorm2d(64),
            nn.ReLU(inplace=True), nn.MaxPool2d(3, stride=2, padding=1)]
        channels = 64
        for width, blocks, stride in RESNET50_STAGES:
            for i in range(blocks):
                layers.append(_Bottleneck(channels, width, stride if i == 0 else 1))
                channels = width * BOTTLENECK_EXPANSION
        self.features = nn.Sequential(*layers)
        self.head = nn.Linear(channels, num_classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)


def resnet50(num_classes: int = 2) -> ResNet50:
    """The images chapter's CIFAR ResNet50 (see ``ResNet50``)."""
    return ResNet50(num_classes)


# ------------------------------------------------------------------------------------------
# DenseNet121
# ------------------------------------------------------------------------------------------

DENSENET121_BLOCKS = (6, 12, 24, 16)  # dense layers per dense block
DENSENET_GROWTH = 32  # channels each dense layer adds
DENSENET_BN_SIZE = 4  # the 1x1 bottleneck of a dense layer has bn_size x growth channels
DENSENET_INIT_FEATURES = 64  # channels out of the stem
DENSENET_COMPRESSION = 0.5  # a transition keeps this fraction of the channels


class _DenseLayer(nn.Module):
    """One layer of a dense block (used by the images chapter's DenseNet121): batch norm, ReLU,
    1x1 conv to bn_size x growth channels, batch norm, ReLU, 3x3 conv to ``growth`` channels;
    the new channels are appended to the input's."""

    def __init__(self, channels_in: int, growth: int, bn_size: int):
        super().__init__()
        inner = bn_size * growth
        self.body = nn.Sequential(
            nn.BatchNorm2d(channels_in), nn.ReLU(inplace=True),
            nn.Conv2d(channels_in, inner, 1, bias=False),
            nn.BatchNorm2d(inner), nn.ReLU(inplace=True),
            nn.Conv2d(inner, growth, 3, padding=1, bias=False))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([x, self.body(x)], dim=1)


def _transition(channels_in: int, channels_out: int) -> nn.Sequential:
    """DenseNet's transition between dense blocks (used by the images chapter's DenseNet121):
    batch norm, ReLU, 1x1 conv to fewer channels, 2x2 average pool (stride 2)."""
    return nn.Sequential(nn.BatchNorm2d(channels_in), nn.ReLU(inplace=True),
                         nn.Conv2d(channels_in, channels_out, 1, bias=False),
                         nn.AvgPool2d(2, stride=2))


class DenseNet121(_ImageClassifier):
    """DenseNet121 (DenseNet-BC), CIFAR version, as used by the images chapter.

    - stem: 3x3 conv 3 -> 64, stride 1, batch norm, ReLU (the ImageNet 7x7 stride-2 conv
      replaced, as in the official code's CIFAR version), then a 3x3 stride-2 max-pool, which
      that version keeps;
    - dense blocks of [6, 12, 24, 16] layers, growth 32, bottleneck 4 x 32, with transitions
      (compression 0.5, 2x2 average pool) between them; 1024 channels at the end;
    - final batch norm and ReLU, adaptive average pool, linear 1024 -> num_classes;
    - convs Kaiming-normal (fan_in, PyTorch's default mode), batch norm weight 1 and bias 0,
      linear bias 0.
    """

    def __init__(self, num_classes: int = 2):
        super().__init__()
        num_classes = _check_classes(num_classes)
        channels = DENSENET_INIT_FEATURES
        layers: list[nn.Module] = [
            nn.Conv2d(3, channels, 3, stride=1, padding=1, bias=False),
            nn.BatchNorm2d(channels), nn.ReLU(inplace=True),
            nn.MaxPool2d(3, stride=2, padding=1)]
        for b, n_layers in enumerate(DENSENET121_BLOCKS):
            for _ in range(n_layers):
                layers.append(_DenseLayer(channels, DENSENET_GROWTH, DENSENET_BN_SIZE))
                channels += DENSENET_GROWTH
            if b < len(DENSENET121_BLOCKS) - 1:
                out = int(channels * DENSENET_COMPRESSION)
                layers.append(_transition(channels, out))
                channels = out
        layers += [nn.BatchNorm2d(channels), nn.ReLU(inplace=True)]
        self.features = nn.Sequential(*layers)
        self.head = nn.Linear(channels, num_classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight)
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
            elif isinstance(m, nn.Linear):
                nn.init.zeros_(m.bias)


def densenet121(num_classes: int = 2) -> DenseNet121:
    """The images chapter's CIFAR DenseNet121 (see ``DenseNet121``)."""
    return DenseNet121(num_classes)


# ------------------------------------------------------------------------------------------
# MobileNetV2
# ------------------------------------------------------------------------------------------

# (expansion t, output channels c, repeats n, stride s of the first repeat) per stage; the
# second stage's stride is 1 instead of ImageNet's 2 (the CIFAR adaptation)
MOBILENET_V2_STAGES = ((1, 16, 1, 1), (6, 24, 2, 1), (6, 32, 3, 2), (6, 64, 4, 2),
                       (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1))
MOBILENET_V2_STEM = 32  # channels out of the stem conv
MOBILENET_V2_LAST = 1280  # channels of the last 1x1 conv, the classifier's input
MOBILENET_V2_DROPOUT = 0.2


def _conv_bn_relu6(channels_in: int, channels_out: int, kernel: int, stride: int = 1,
                   groups: int = 1) -> nn.Sequential:
    """Conv (no bias, 'same' padding), batch norm, ReLU6: MobileNetV2's basic unit (used by
    the images chapter's MobileNetV2)."""
    return nn.Sequential(
        nn.Conv2d(channels_in, channels_out, kernel, stride=stride, padding=kernel // 2,
                  groups=groups, bias=False),
        nn.BatchNorm2d(channels_out), nn.ReLU6(inplace=True))


class _InvertedResidual(nn.Module):
    """MobileNetV2's inverted residual (used by the images chapter's MobileNetV2): 1x1
    expansion to t x the input channels (absent when t = 1), 3x3 depthwise conv carrying the
    stride, linear 1x1 projection with batch norm; the input is added back when the stride is
    1 and the channel count is unchanged."""

    def __init__(self, channels_in: int, channels_out: int, stride: int, expansion: int):
        super().__init__()
        hidden = channels_in * expansion
        layers: list[nn.Module] = []
        if expansion != 1:
            layers.append(_conv_bn_relu6(channels_in, hidden, 1))
        layers += [_conv_bn_relu6(hidden, hidden, 3, stride=stride, groups=hidden),
                   nn.Conv2d(hidden, channels_out, 1, bias=False),
                   nn.BatchNorm2d(channels_out)]
        self.body = nn.Sequential(*layers)
        self.residual = stride == 1 and channels_in == channels_out

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.body(x)
        return x + out if self.residual else out


class MobileNetV2(_ImageClassifier):
    """MobileNetV2 (width 1.0), CIFAR version, as used by the images chapter.

    - stem: 3x3 conv 3 -> 32 with stride 1 (ImageNet: 2), batch norm, ReLU6;
    - inverted-residual stages (t, c, n, s) = (1,16,1,1), (6,24,2,1), (6,32,3,2), (6,64,4,2),
      (6,96,3,1), (6,160,3,2), (6,320,1,1): the second stage's stride is 1 instead of 2,
      the CIFAR adaptation of the official code's version; the image is
      downsampled 8 times in all (ImageNet: 32);
    - 1x1 conv 320 -> 1280, batch norm, ReLU6, adaptive average pool, dropout 0.2, linear
      1280 -> num_classes;
    - convs Kaiming-normal (fan_out), batch norm weight 1 and bias 0, linear weights
      Normal(0, 0.01) and bias 0 (as torchvision's MobileNetV2).
    """

    def __init__(self, num_classes: int = 2):
        super().__init__()
        num_classes = _check_classes(num_classes)
        layers: list[nn.Module] = [_conv_bn_relu6(3, MOBILENET_V2_STEM, 3, stride=1)]
        channels = MOBILENET_V2_STEM
        for expansion, out, repeats, stride in MOBILENET_V2_STAGES:
            for i in range(repeats):
                layers.append(_InvertedResidual(channels, out, stride if i == 0 else 1,
                                                expansion))
                channels = out
        layers.append(_conv_bn_relu6(channels, MOBILENET_V2_LAST, 1))
        self.features = nn.Sequential(*layers)
        self.head = nn.Sequential(nn.Dropout(MOBILENET_V2_DROPOUT),
                                  nn.Linear(MOBILENET_V2_LAST, num_classes))
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out")
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
            elif isinstance(m, nn.Linear):
                nn.init.normal_(m.weight, 0.0, 0.01)
                nn.init.zeros_(m.bias)


def mobilenet_v2(num_classes: int = 2) -> MobileNetV2:
    """The images chapter's CIFAR MobileNetV2 (see ``MobileNetV2``)."""
    return MobileNetV2(num_classes)


# ------------------------------------------------------------------------------------------
# GoogLeNet
# ------------------------------------------------------------------------------------------

# Inception blocks of GoogLeNet (Inception v1), stage by stage: (name, input channels,
# 1x1 branch, 3x3 reduce, 3x3, "5x5" reduce, "5x5", pool projection); each block outputs the
# sum of its four branches' channels
GOOGLENET_STAGES = (
    (("3a", 192, 64, 96, 128, 16, 32, 32),
     ("3b", 256, 128, 128, 192, 32, 96, 64)),
    (("4a", 480, 192, 96, 208, 16, 48, 64),
     ("4b", 512, 160, 112, 224, 24, 64, 64),
     ("4c", 512, 128, 128, 256, 24, 64, 64),
     ("4d", 512, 112, 144, 288, 32, 64, 64),
     ("4e", 528, 256, 160, 320, 32, 128, 128)),
    (("5a", 832, 256, 160, 320, 32, 128, 128),
     ("5b", 832, 384, 192, 384, 48, 128, 128)),
)
GOOGLENET_STEM = 192  # channels out of the stem conv, the input of block 3a
GOOGLENET_WIDE_KERNEL = 3  # the "5x5" branch's kernel, as in torchvision's implementation
GOOGLENET_DROPOUT = 0.2
GOOGLENET_BN_EPS = 1e-3


def _conv_bn_relu(channels_in: int, channels_out: int, kernel: int) -> nn.Sequential:
    """Conv (stride 1, no bias, 'same' padding), batch norm, ReLU: GoogLeNet's basic unit
    (used by the images chapter's GoogLeNet)."""
    return nn.Sequential(
        nn.Conv2d(channels_in, channels_out, kernel, padding=kernel // 2, bias=False),
        nn.BatchNorm2d(channels_out, eps=GOOGLENET_BN_EPS), nn.ReLU(inplace=True))


class _Inception(nn.Module):
    """An Inception v1 block (used by the images chapter's GoogLeNet): four parallel branches,
    concatenated along the channels: a 1x1 conv; 1x1 reduce then 3x3; 1x1 reduce then the
    "5x5" conv (3x3 here, as in torchvision); 3x3 max-pool (stride 1) then 1x1 projection."""

    def __init__(self, channels_in: int, c1: int, c3_reduce: int, c3: int, c5_reduce: int,
                 c5: int, pool_proj: int):
        super().__init__()
        self.branches = nn.ModuleList([
            _conv_bn_relu(channels_in, c1, 1),
            nn.Sequential(_conv_bn_relu(channels_in, c3_reduce, 1),
                          _conv_bn_relu(c3_reduce, c3, 3)),
            nn.Sequential(_conv_bn_relu(channels_in, c5_reduce, 1),
                          _conv_bn_relu(c5_reduce, c5, GOOGLENET_WIDE_KERNEL)),
            nn.Sequential(nn.MaxPool2d(3, stride=1, padding=1),
                          _conv_bn_relu(channels_in, pool_proj, 1)),
        ])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([branch(x) for branch in self.branches], dim=1)


class GoogLeNet(_ImageClassifier):
    """GoogLeNet (Inception v1), CIFAR version, as used by the images chapter.

    - stem: one 3x3 conv 3 -> 192, stride 1, batch norm, ReLU, no pool (the ImageNet stem's
      7x7 stride-2 conv, 1x1 and 3x3 convs and two max-pools replaced, as in the official
      code's CIFAR version);
    - inception blocks 3a-3b, 4a-4e, 5a-5b with the standard channel numbers, a 3x3 stride-2
      max-pool (padding 1) between stages 3 and 4 and between 4 and 5; no auxiliary heads;
    - adaptive average pool, dropout 0.2, linear 1024 -> num_classes;
    - batch norm after every conv (eps 1e-3), convs and linear at PyTorch's default init.
    Unlike the official code's ``googlenet(...)``, which ignores its arguments and always has
    10 outputs (its keyword arguments are ignored), this one has ``num_classes`` outputs.
    """

    def __init__(self, num_classes: int = 2):
        super().__init__()
        num_classes = _check_classes(num_classes)
        layers: list[nn.Module] = [_conv_bn_relu(3, GOOGLENET_STEM, 3)]
        channels = GOOGLENET_STEM
        for s, stage in enumerate(GOOGLENET_STAGES):
            if s > 0:
                layers.append(nn.MaxPool2d(3, stride=2, padding=1))
            for _name, channels_in, c1, c3r, c3, c5r, c5, pool in stage:
                assert channels_in == channels, "GOOGLENET_STAGES: channels do not chain"
                layers.append(_Inception(channels_in, c1, c3r, c3, c5r, c5, pool))
                channels = c1 + c3 + c5 + pool
        self.features = nn.Sequential(*layers)
        self.head = nn.Sequential(nn.Dropout(GOOGLENET_DROPOUT),
                                  nn.Linear(channels, num_classes))


def googlenet(num_classes: int = 2) -> GoogLeNet:
    """The images chapter's CIFAR GoogLeNet (see ``GoogLeNet``)."""
    return GoogLeNet(num_classes)


# ------------------------------------------------------------------------------------------
# SmallCNN
# ------------------------------------------------------------------------------------------

class SmallCNN(_ImageClassifier):
    """A small CNN for the images chapter's quick profile, cheap enough to train on a CPU.

    One stage per entry of ``channels``: a 3x3 conv with stride 2 (no bias), batch norm,
    ReLU; then a global average pool and a linear head to num_classes. Every stage halves the
    image (64 x 32 -> 8 x 4 with three stages): stride-2 convolutions instead of a stride-1
    conv and a max-pool per stage make a training step about 4.8x cheaper on a CPU (0.30
    against 1.44 ms per image, one thread, batch 256: benchmarks/small_cnn.py). PyTorch's
    default initialisation. With the default (16, 32, 64) it has 23,826 parameters at 2
    classes. The forward pass works on a
    channels-last copy of the batch, faster on a CPU (the logits are the same up to rounding).
    """

    def __init__(self, channels=(16, 32, 64), num_classes: int = 2):
        super().__init__()
        num_classes = _check_classes(num_classes)
        if isinstance(channels, (str, bytes)) or not hasattr(channels, "__iter__"):
            raise ParameterTypeError(f"channels must be a non-empty sequence of positive "
                                     f"integers, got {channels!r}")
        channels = tuple(channels)
        if not channels:
            raise ValueError("channels must be a non-empty sequence of positive integers, "
                             "got an empty one")
        for c in channels:
            check_int("channels", c)
        self.channels = tuple(int(c) for c in channels)
        layers: list[nn.Module] = []
        previous = 3
        for c in self.channels:
            layers += [nn.Conv2d(previous, c, 3, stride=2, padding=1, bias=False),
                       nn.BatchNorm2d(c), nn.ReLU(inplace=True)]
            previous = c
        self.features = nn.Sequential(*layers)
        self.head = nn.Linear(previous, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        _check_images(x)
        return super().forward(x.contiguous(memory_format=torch.channels_last))


# ------------------------------------------------------------------------------------------
# by name
# ------------------------------------------------------------------------------------------

def medium_cnn(num_classes: int = 2) -> SmallCNN:
    """A deeper SmallCNN (five stride-2 stages, 16 to 128 channels, 245,650 parameters at 2
    classes): the images chapter's quick profile trains it beside SmallCNN to show how the
    residual use of the complex half changes with depth (1.37x SmallCNN's cost per step,
    benchmarks/small_cnn.py)."""
    return SmallCNN((16, 32, 64, 128, 128), num_classes)


IMAGE_MODELS = {"MobileNetV2": mobilenet_v2, "GoogLeNet": googlenet, "ResNet50": resnet50,
                "DenseNet121": densenet121, "SmallCNN": SmallCNN, "MediumCNN": medium_cnn}


def build_image_model(name: str, num_classes: int = 2, seed: int = 0) -> nn.Module:
    """One of ``IMAGE_MODELS`` (the images chapter's networks) with num_classes outputs,
    initialised under ``torch.manual_seed(seed)``: the same seed gives the same weights, and
    the global random state is left as it was."""
    check_choice("name", name, IMAGE_MODELS)
    num_classes = _check_classes(num_classes)
    seed = check_seed(seed)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return IMAGE_MODELS[name](num_classes=num_classes)

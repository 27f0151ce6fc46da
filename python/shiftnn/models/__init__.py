"""Reference spatial-shift networks, written the way their papers' public code writes
them, for exporter tests, parity checks and benchmarks. Importing this subpackage needs
only torch; shiftnn.Shift is imported when a network with a Shift module is built.

    shift_resnet20   ShiftResNet-20, CIFAR 32x32      (Wu et al., CVPR 2018)   grouped:3
    s2mlp            small S2-MLP, 64x64, patch 4     (Yu et al., WACV 2022)    quad (slice assignment)
    asmlp_t          AS-MLP-T, 224x224                (Lian et al., ICLR 2022)  axial:5:h/w (pad+chunk+roll+cat+narrow)
    cyclemlp_block   one CycleMLP block, 64x56x56     (Chen et al., ICLR 2022)  cycle:3:h/w

REFERENCE_NETWORKS maps a name to (builder, example input shape at batch 1): the four
networks plus variants written in the other idioms of the same code bases (S2-MLP in NCHW
with zero fill, AS-MLP with the shared pad, CycleFC as torchvision deform_conv2d).
"""
from ._common import count_parameters, randomize_norms_
from .asmlp import asmlp_t
from .cyclemlp import cyclemlp_block
from .digits import digits_shiftnet
from .s2mlp import s2mlp
from .shift_resnet import shift_resnet20

__all__ = ["shift_resnet20", "s2mlp", "asmlp_t", "cyclemlp_block", "digits_shiftnet",
           "REFERENCE_NETWORKS", "MAIN_NETWORKS",
           "count_parameters", "randomize_norms_"]

# name -> (builder taking no arguments, input shape N, C, H, W at batch 1)
REFERENCE_NETWORKS = {
    "shift_resnet20": (lambda: shift_resnet20(), (1, 3, 32, 32)),
    "s2mlp": (lambda: s2mlp(), (1, 3, 64, 64)),
    "s2mlp_nchw_zero": (lambda: s2mlp(layout="nchw", boundary="zero"), (1, 3, 64, 64)),
    "asmlp_t": (lambda: asmlp_t(), (1, 3, 224, 224)),
    "asmlp_t_shared_pad": (lambda: asmlp_t(shift_impl="shared_pad"), (1, 3, 224, 224)),
    "cyclemlp_block": (lambda: cyclemlp_block(), (1, 64, 56, 56)),
    "cyclemlp_block_deform": (lambda: cyclemlp_block(impl="deform"), (1, 64, 56, 56)),
}
# the networks of the brief, one variant each (the benchmark's default set)
MAIN_NETWORKS = ("shift_resnet20", "s2mlp", "asmlp_t", "cyclemlp_block")

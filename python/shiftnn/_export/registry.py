"""The handler table: operator name -> handler(converter, node), filled by @handles."""
# Handlers: node -> Act (or tuple/Lazy), emitting runtime nodes.

HANDLERS = {}
HINTS = {
    "aten.roll.default": "; torch.roll is exported only as part of a recognised shift (this "
                         "one does not compute a SPEC §1 shift of a single tensor)",
    "aten.slice_scatter.default": "; slice assignment is exported only as part of a "
                                  "recognised shift",
    "aten.replication_pad2d.default": "; non-zero padding is exported only as part of a "
                                      "recognised shift",
    "aten.reflection_pad2d.default": "; reflection padding is not supported",
    "torchvision.deform_conv2d.default": "",
    "aten.max_pool2d_with_indices.default": "; the runtime has no max pooling",
    "aten.sigmoid.default": "; the runtime has no sigmoid",
}


def handles(*names):
    def deco(fn):
        for n in names:
            HANDLERS[n] = fn
        return fn
    return deco


def out_shape(cv, node):
    v = cv.values[node]
    return tuple(v.shape)

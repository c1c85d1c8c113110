"""What a network looks at: Grad-CAM heat maps and how to show them.

Grad-CAM (Selvaraju et al., 2017) weighs the feature maps of a convolutional
layer by how much the class score grows with each of them, and keeps the
positive part: bright areas are where the layer saw evidence for the class.
The computation follows the Keras example "Grad-CAM class activation
visualization" (keras-io ``examples/vision/grad_cam.py``), extended to reach
a convolution inside a nested base such as the ``vgg16`` of
[`animecls.models.build_vgg16_transfer`][].

Importing this module imports Keras and TensorFlow (``tf.GradientTape``);
the rest of ``animecls`` stays light.
"""

import keras
import numpy as np
import tensorflow as tf
from sklearn.utils import Bunch

from .plotting import plot_image_grid

__all__ = ["grad_cam", "heatmap_overlap", "plot_grad_cam", "trait_attention"]


def _conv_paths(model, prefix=()):
    """Return the path (names from the outer model in) of every Conv2D."""
    paths = []
    for layer in model.layers:
        if isinstance(layer, keras.layers.Conv2D):
            paths.append((*prefix, layer.name))
        elif isinstance(layer, keras.Model):
            paths.extend(_conv_paths(layer, (*prefix, layer.name)))
    return paths


def _find_layer(model, layer):
    """Resolve ``layer`` (None, a name or a Layer) to a path of nested names."""
    convs = _conv_paths(model)
    available = [path[-1] for path in convs]
    if not convs:
        raise ValueError(
            "Grad-CAM needs a convolutional layer, and the model has none. "
            f"Received: model with layers {[lyr.name for lyr in model.layers]}"
        )
    if layer is None:
        # Model.layers lists a functional graph in the order it is run, so the
        # last Conv2D found is the one nearest the output, the Keras example's
        # choice: the most abstract features that still keep a spatial layout.
        return convs[-1]
    name = layer.name if isinstance(layer, keras.layers.Layer) else layer
    if not isinstance(name, str):
        raise TypeError(
            f"layer must be a layer name, a Layer or None. Received: layer={layer!r}"
        )
    for path in convs:
        if path[-1] == name:
            return path
    if _has_layer(model, name):
        raise ValueError(
            f"Layer {name!r} is not a Conv2D layer, so it has no feature maps to "
            f"weigh. Convolutional layers of the model: {available}. "
            f"Received: layer={name!r}"
        )
    raise ValueError(
        f"The model has no layer named {name!r}. Convolutional layers of the "
        f"model: {available}. Received: layer={name!r}"
    )


def _has_layer(model, name):
    for layer in model.layers:
        if layer.name == name:
            return True
        if isinstance(layer, keras.Model) and _has_layer(layer, name):
            return True
    return False


def _check_chain(model):
    """Raise unless each layer of ``model`` takes only the previous one's output.

    Reaching a layer inside a nested model means running the outer layers
    again on new inputs; for a plain chain (both animecls networks are one)
    that is a loop over ``model.layers``. The public config tells which layer
    feeds which.
    """
    message = (
        "Grad-CAM reaches a layer inside a nested model only when the outer "
        "model is a plain chain of layers (each fed by the previous one), like "
        "the animecls networks. Received: model "
        f"{model.name!r} with layers {[lyr.name for lyr in model.layers]}"
    )
    try:
        config = model.get_config()
    except NotImplementedError:
        raise ValueError(message) from None
    previous = None
    for entry in config.get("layers", []):
        nodes = entry.get("inbound_nodes") or []
        if previous is not None:
            args = nodes[0].get("args", ()) if len(nodes) == 1 else ()
            history = (
                args[0].get("config", {}).get("keras_history")
                if len(args) == 1 and isinstance(args[0], dict)
                else None
            )
            if not history or history[0] != previous:
                raise ValueError(message)
        previous = entry["name"]


def _activations_model(model, path, *, head_input=False):
    """Build a model from ``model.inputs`` to the activations of ``path``.

    Its outputs are ``[activations, output]``, or ``[activations, input of
    the last layer, output]`` when ``head_input`` is True.
    """
    if len(path) == 1:
        extra = [model.layers[-1].input] if head_input else []
        return keras.Model(
            model.inputs, [model.get_layer(path[0]).output, *extra, model.output]
        )
    _check_chain(model)
    nested = model.get_layer(path[0])
    inner = _activations_model(nested, path[1:])
    inputs = keras.Input(shape=model.input_shape[1:])
    x = last_input = inputs
    activations = None
    for layer in model.layers:
        if isinstance(layer, keras.layers.InputLayer):
            continue
        last_input = x
        if layer is nested:
            activations, x = inner(x)
        else:
            x = layer(x)
    extra = [last_input] if head_input else []
    return keras.Model(inputs, [activations, *extra, x])


def _output_head(model):
    """Return the output Dense layer when its activation squashes the score.

    The Keras example removes the last softmax and differentiates the raw
    class score: once a network is confident, softmax saturates and its
    gradient is (numerically) zero, which would make every map blank.
    """
    last = model.layers[-1]
    if (
        isinstance(last, keras.layers.Dense)
        and getattr(last, "activation", None)
        in (keras.activations.softmax, keras.activations.sigmoid)
        and len(model.outputs) == 1
    ):
        return last
    return None


def _check_images(model, images):
    images = np.asarray(images)
    expected = tuple(model.input_shape[1:])
    if images.ndim == len(expected):
        images = images[None]
    if (
        images.ndim != len(expected) + 1
        or len(images) == 0
        or any(
            e is not None and e != s
            for e, s in zip(expected, images.shape[1:], strict=True)
        )
    ):
        raise ValueError(
            "images must be a non-empty batch of pictures of the model's input "
            f"shape {expected}. Received: images with shape {np.shape(images)}"
        )
    return images


def grad_cam(model, images, *, layer=None, class_index=None, batch_size=16):
    """Compute Grad-CAM heat maps: where a network saw evidence for a class.

    For each picture, the gradient of the class score with respect to the
    feature maps of a convolutional layer is averaged over the picture, one
    weight per feature map; the weighted sum of the maps, with negative
    values set to zero, is the heat map. The score is taken before the output
    softmax or sigmoid, as in the Keras example, so confident predictions
    still give a map.

    Parameters
    ----------
    model : keras.Model
        A functional network, such as those of
        [`animecls.models.build_two_layer_cnn`][] and
        [`animecls.models.build_vgg16_transfer`][].
    images : array-like of shape (n_images, height, width, channels)
        Pictures as the model takes them (0-255 for the animecls networks);
        one picture without the batch axis is accepted.
    layer : str, keras.layers.Layer or None, default=None
        The ``Conv2D`` layer whose maps are weighed, also inside a nested
        model (``"block5_conv3"`` of the ``vgg16`` base). None takes the last
        ``Conv2D`` of the network, nested ones included.
    class_index : int, array-like of int or None, default=None
        The class to explain, one for all pictures or one per picture. None
        explains each picture's predicted class.
    batch_size : int, default=16
        Pictures per forward and backward pass.

    Returns
    -------
    heatmaps : ndarray of shape (n_images, height, width), dtype float32
        One map per picture, resized (bilinear) to the picture size and
        scaled so that its maximum is 1; all zeros where no feature map
        speaks for the class.

    Raises
    ------
    ValueError
        If ``layer`` is unknown or not a ``Conv2D`` (the message lists the
        convolutional layers), if the pictures do not have the model's input
        shape, or if ``class_index`` or ``batch_size`` is out of range.
    RuntimeError
        If Keras runs on a backend other than TensorFlow.

    See Also
    --------
    plot_grad_cam : Draw the maps over the pictures.
    heatmap_overlap : Share of the heat inside a region.

    Examples
    --------
    >>> import numpy as np
    >>> from animecls.models import build_two_layer_cnn
    >>> from animecls.interpretation import grad_cam
    >>> model = build_two_layer_cnn((32, 32, 3), pooling="avg")
    >>> images = np.random.default_rng(0).integers(0, 256, (2, 32, 32, 3))
    >>> heatmaps = grad_cam(model, images, layer="conv1", class_index=0)
    >>> heatmaps.shape
    (2, 32, 32)
    >>> bool(heatmaps.min() >= 0 and heatmaps.max() <= 1)
    True
    """
    if keras.backend.backend() != "tensorflow":
        raise RuntimeError(
            "grad_cam needs the TensorFlow backend of Keras (tf.GradientTape). "
            f"Received: KERAS_BACKEND={keras.backend.backend()!r}"
        )
    if (
        isinstance(batch_size, bool)
        or not isinstance(batch_size, (int, np.integer))
        or batch_size < 1
    ):
        raise ValueError(
            "batch_size must be a positive integer. "
            f"Received: batch_size={batch_size!r}"
        )
    path = _find_layer(model, layer)
    images = _check_images(model, images)
    n_classes = int(model.output_shape[-1])
    if class_index is not None:
        indices = np.asarray(class_index)
        if (
            indices.shape not in ((), (len(images),))
            or (not np.issubdtype(indices.dtype, np.integer))
            or (indices.min() < 0 or indices.max() >= n_classes)
        ):
            raise ValueError(
                f"class_index must be an integer in [0, {n_classes}) (one, or one "
                f"per picture). Received: class_index={class_index!r}"
            )
        indices = np.broadcast_to(indices, (len(images),))

    head = _output_head(model)
    # With a squashing head, also output what feeds it, for the raw scores.
    activations_model = _activations_model(model, path, head_input=head is not None)

    height, width = images.shape[1:3]
    heatmaps = np.empty((len(images), height, width), dtype=np.float32)
    for start in range(0, len(images), batch_size):
        batch = tf.convert_to_tensor(images[start : start + batch_size], tf.float32)
        with tf.GradientTape() as tape:
            # Watching the pictures records every operation, also those of a
            # frozen base, whose weights the tape would not watch by itself.
            tape.watch(batch)
            outputs = activations_model(batch, training=False)
            maps, output = outputs[0], outputs[-1]
            if head is not None:
                scores = tf.matmul(outputs[1], head.kernel)
                if head.use_bias:
                    scores = scores + head.bias
            else:
                scores = output
            if class_index is None:
                chosen = tf.argmax(output, axis=-1)
            else:
                chosen = tf.constant(indices[start : start + batch_size])
            score = tf.gather(scores, chosen, axis=1, batch_dims=1)
        grads = tape.gradient(score, maps)
        weights = tf.reduce_mean(grads, axis=(1, 2))
        cam = tf.nn.relu(tf.einsum("nhwc,nc->nhw", maps, weights))
        # Scaled after resizing: interpolation lowers the peak below 1.
        cam = tf.image.resize(cam[..., None], (height, width), method="bilinear")
        peak = tf.reduce_max(cam, axis=(1, 2), keepdims=True)
        cam = tf.math.divide_no_nan(cam, peak)[..., 0]
        heatmaps[start : start + len(batch)] = np.clip(cam.numpy(), 0, 1)
    return heatmaps


def plot_grad_cam(
    images,
    heatmaps,
    *,
    titles=None,
    alpha=0.45,
    cmap="jet",
    ncols=6,
    axes=None,
    masks=None,
    mask_color="white",
):
    """Draw Grad-CAM heat maps over their pictures, in a grid.

    Parameters
    ----------
    images : array-like of shape (n, height, width, 3)
        Pictures, ``uint8`` or floats in [0, 1].
    heatmaps : array-like of shape (n, height, width)
        Maps from [`grad_cam`][animecls.interpretation.grad_cam], in [0, 1].
    titles : list of str, default=None
        One title per picture (e.g. true and predicted character).
    alpha : float, default=0.45
        Opacity of the heat map over the picture, in [0, 1].
    cmap : str, default="jet"
        Matplotlib colour map of the heat (the Keras example's).
    ncols : int, default=6
        Pictures per row when a new figure is made.
    axes : array-like of matplotlib Axes, default=None
        At least ``n`` Axes to draw into; a new figure when None.
    masks : array-like of bool, shape (n, height, width), default=None
        Regions to outline over the maps, such as the trait masks of
        [`animecls.datasets.make_characters`][] (``return_masks=True``),
        so that one sees whether the heat falls on them.
    mask_color : str, default="white"
        Colour of the outlines.

    Returns
    -------
    figure : matplotlib.figure.Figure
        The figure drawn on (see [`animecls.plotting`][] for the rule every
        plot follows); cells beyond ``n`` are switched off.

    Raises
    ------
    ValueError
        If the maps or masks do not match the pictures in number and size,
        or ``alpha`` is outside [0, 1].

    See Also
    --------
    grad_cam : Compute the maps.
    animecls.plotting.plot_image_grid : The grid drawn underneath.

    Examples
    --------
    >>> import numpy as np
    >>> from animecls.interpretation import plot_grad_cam
    >>> images = np.zeros((2, 8, 8, 3), dtype=np.uint8)
    >>> heatmaps = np.linspace(0, 1, 128).reshape(2, 8, 8)
    >>> len(plot_grad_cam(images, heatmaps).axes)
    2
    """
    images = np.asarray(images)
    heatmaps = np.asarray(heatmaps)
    if (
        images.ndim != 4
        or heatmaps.ndim != 3
        or heatmaps.shape != images.shape[:3]
        or len(images) == 0
    ):
        raise ValueError(
            "heatmaps must be (n, height, width) for images (n, height, width, "
            f"channels) of the same n and size. Received: images with shape "
            f"{images.shape} and heatmaps with shape {heatmaps.shape}"
        )
    if not 0 <= alpha <= 1:
        raise ValueError(f"alpha must be in [0, 1]. Received: alpha={alpha}")
    if masks is not None:
        masks = _check_masks(masks, heatmaps.shape, per_picture=True)
    figure = plot_image_grid(images, titles=titles, ncols=ncols, axes=axes)
    # The cells to draw the heat on: the given ones, or the new grid's.
    axes = figure.axes if axes is None else np.ravel(np.asarray(axes, dtype=object))
    for ax, heatmap in zip(axes, heatmaps, strict=False):
        ax.imshow(heatmap, cmap=cmap, alpha=alpha, vmin=0, vmax=1)
    if masks is not None:
        for ax, mask in zip(axes, masks, strict=False):
            if mask.any() and not mask.all():
                ax.contour(
                    mask.astype(np.float32),
                    levels=[0.5],
                    colors=[mask_color],
                    linewidths=0.8,
                )
    return figure


def _check_masks(masks, shape, *, per_picture=False):
    """Return ``masks`` as a boolean array of ``shape`` (or one region)."""
    masks = np.asarray(masks)
    if masks.dtype != bool:
        raise ValueError(
            "masks must be boolean (True inside the region). Received: masks "
            f"with dtype {masks.dtype}"
        )
    shapes = (shape,) if per_picture else (shape, shape[1:])
    if masks.shape not in shapes:
        expected = " or ".join(str(s) for s in shapes)
        raise ValueError(
            f"masks must have shape {expected} to match the "
            f"{'pictures' if per_picture else 'heatmaps'}. Received: masks with "
            f"shape {masks.shape}"
        )
    return np.broadcast_to(masks, shape)


def heatmap_overlap(heatmaps, masks):
    """Return the share of each map's heat that falls inside a region.

    With masks of where a character's distinguishing traits were drawn, this
    tells whether a network looks at the traits (near 1) or elsewhere, such
    as the background. Compare it with the mask's share of the picture, the
    value a map spread evenly would give.

    Parameters
    ----------
    heatmaps : array-like of shape (n, height, width)
        Non-negative maps, such as those of
        [`grad_cam`][animecls.interpretation.grad_cam].
    masks : array-like of bool, shape (n, height, width) or (height, width)
        The region of each picture, or one region for all.

    Returns
    -------
    overlap : ndarray of shape (n,)
        Heat inside the mask over all the heat, in [0, 1]; NaN for a map
        that is all zeros.

    Raises
    ------
    ValueError
        If the shapes do not match, a map has negative values, or the masks
        are not boolean.

    Examples
    --------
    >>> import numpy as np
    >>> from animecls.interpretation import heatmap_overlap
    >>> heatmaps = np.zeros((1, 4, 4))
    >>> heatmaps[0, :2, :2] = 1.0
    >>> mask = np.zeros((4, 4), dtype=bool)
    >>> mask[:2, :] = True
    >>> heatmap_overlap(heatmaps, mask).tolist()
    [1.0]
    """
    heatmaps = np.asarray(heatmaps, dtype=np.float64)
    if heatmaps.ndim != 3:
        raise ValueError(
            "heatmaps must be (n, height, width). Received: heatmaps with shape "
            f"{heatmaps.shape}"
        )
    masks = _check_masks(masks, heatmaps.shape)
    if np.any(heatmaps < 0):
        raise ValueError(
            "heatmaps must be non-negative. Received: heatmaps with minimum "
            f"{heatmaps.min()}"
        )
    total = heatmaps.sum(axis=(1, 2))
    inside = np.where(masks, heatmaps, 0.0).sum(axis=(1, 2))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, inside / np.where(total > 0, total, 1), np.nan)


def trait_attention(
    model, images, masks, *, layer=None, class_index=None, batch_size=16
):
    """Measure whether a network looks at the traits or elsewhere.

    Computes the Grad-CAM maps of the pictures and the share of each map's
    heat inside its mask, next to the mask's share of the picture: a map
    spread evenly, or one that ignores the traits, scores about the area
    share; a network that looks at the traits scores well above it, and one
    that looks at the background (a shortcut) below it.

    Parameters
    ----------
    model : keras.Model
        A functional network, as for
        [`grad_cam`][animecls.interpretation.grad_cam].
    images : array-like of shape (n_images, height, width, channels)
        Pictures as the model takes them.
    masks : array-like of bool, shape (n_images, height, width) or (height, width)
        Where each picture shows the traits: ``masks`` (or ``silhouettes``
        for the whole figure) of
        [`animecls.datasets.make_characters`][] with ``return_masks=True``.
    layer, class_index, batch_size
        As for [`grad_cam`][animecls.interpretation.grad_cam]: the last
        ``Conv2D`` and the predicted class by default.

    Returns
    -------
    result : sklearn.utils.Bunch
        Dictionary-like object with attributes:

        heatmaps : ndarray of shape (n_images, height, width)
            The Grad-CAM maps, for
            [`plot_grad_cam`][animecls.interpretation.plot_grad_cam].
        overlap : ndarray of shape (n_images,)
            Share of each map's heat inside the mask
            ([`heatmap_overlap`][animecls.interpretation.heatmap_overlap]); NaN
            for an all-zero map.
        area_share : ndarray of shape (n_images,)
            Share of the picture the mask covers: what an evenly spread map
            would score.

    Raises
    ------
    ValueError
        If the masks are not boolean or do not match the pictures, or for
        the reasons [`grad_cam`][animecls.interpretation.grad_cam] gives.

    See Also
    --------
    grad_cam : The heat maps alone.
    plot_grad_cam : Draw the maps with the masks outlined (``masks=``).

    Examples
    --------
    >>> import numpy as np
    >>> from animecls.datasets import make_characters
    >>> from animecls.interpretation import trait_attention
    >>> from animecls.models import build_two_layer_cnn
    >>> data = make_characters(2, image_size=(32, 32), return_masks=True)
    >>> model = build_two_layer_cnn((32, 32, 3), pooling="avg")
    >>> result = trait_attention(model, data.images, data.masks)
    >>> result.overlap.shape, result.area_share.shape
    ((6,), (6,))
    >>> bool(np.all((0 < result.area_share) & (result.area_share < 1)))
    True
    """
    images = _check_images(model, images)
    masks = _check_masks(masks, images.shape[:3])
    heatmaps = grad_cam(
        model, images, layer=layer, class_index=class_index, batch_size=batch_size
    )
    return Bunch(
        heatmaps=heatmaps,
        overlap=heatmap_overlap(heatmaps, masks),
        area_share=masks.mean(axis=(1, 2)),
    )

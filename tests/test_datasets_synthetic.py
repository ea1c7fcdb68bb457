"""Tests of the synthetic data sets: bars, repeating spike patterns, natural patches.

Each property is checked against its definition (an OR of bars, a copied
pattern at the returned onsets, ON/OFF halves of a centred, scaled image) or
against a statistic of the process (rates, pixel probabilities, spectral slopes).
"""

from __future__ import annotations

import numpy as np
import pytest

from stdp_lab.datasets import (
    load_natural_images,
    make_bars,
    make_natural_patches,
    make_repeating_pattern,
)

# --- make_bars -------------------------------------------------------------------


def test_bars_are_the_rows_and_columns():
    size = 5
    _, bars = make_bars(3, size=size, random_state=0)
    assert bars.shape == (2 * size, size * size) and bars.dtype == np.float64
    for i in range(size):
        horizontal = np.zeros((size, size))
        horizontal[i, :] = 1
        vertical = np.zeros((size, size))
        vertical[:, i] = 1
        np.testing.assert_array_equal(bars[i], horizontal.ravel())
        np.testing.assert_array_equal(bars[size + i], vertical.ravel())


def test_bar_images_are_unions_of_full_rows_and_columns():
    # In an OR of bars, pixel (r, c) is on iff row r or column c is fully on; a
    # sum of bars (values 2 at crossings) or random pixels fail this.
    size = 6
    X, _ = make_bars(500, size=size, p=0.25, random_state=1)
    assert X.shape == (500, size * size) and X.dtype == np.float64
    assert set(np.unique(X)) <= {0.0, 1.0}
    images = X.reshape(-1, size, size)
    full_rows = images.all(axis=2)  # (n, size)
    full_cols = images.all(axis=1)  # (n, size)
    expected = full_rows[:, :, None] | full_cols[:, None, :]
    np.testing.assert_array_equal(images.astype(bool), expected)
    assert (images.sum(axis=(1, 2)) > 0).mean() > 0.9  # not trivially empty


@pytest.mark.parametrize(("size", "p"), [(8, None), (4, 0.3)])
def test_bar_statistics_match_independent_bars(size, p):
    n = 20000
    X, _ = make_bars(n, size=size, p=p, random_state=2)
    q = 1.0 / size if p is None else p
    images = X.reshape(n, size, size)
    # A pixel lies on one horizontal and one vertical bar.
    pixel_on = 1.0 - (1.0 - q) ** 2
    assert abs(images.mean() - pixel_on) < 4 * np.sqrt(pixel_on / (n * size))
    # Row r is full if its bar is on, or if every vertical bar is on.
    row_full = q + (1.0 - q) * q**size
    sd = np.sqrt(row_full * (1 - row_full) / n)
    assert np.all(np.abs(images.all(axis=2).mean(axis=0) - row_full) < 5 * sd)


def test_bars_extreme_probabilities():
    X0, _ = make_bars(10, size=4, p=0.0, random_state=0)
    X1, _ = make_bars(10, size=4, p=1.0, random_state=0)
    assert not X0.any() and X1.all()


def test_bars_deterministic_and_seed_dependent():
    a, _ = make_bars(50, random_state=3)
    b, _ = make_bars(50, random_state=np.random.default_rng(3))
    c, _ = make_bars(50, random_state=4)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


@pytest.mark.parametrize(
    ("kwargs", "error", "name"),
    [
        ({"n_samples": 0}, ValueError, "n_samples"),
        ({"n_samples": 2.5}, TypeError, "n_samples"),
        ({"size": 1}, ValueError, "size"),
        ({"size": True}, TypeError, "size"),
        ({"p": 1.5}, ValueError, "p"),
        ({"p": -0.1}, ValueError, "p"),
        ({"p": "half"}, TypeError, "p"),
        ({"random_state": "x"}, TypeError, "random_state"),
    ],
)
def test_bars_reject_bad_parameters(kwargs, error, name):
    with pytest.raises(error, match=name):
        make_bars(**kwargs)


# --- make_repeating_pattern --------------------------------------------------------


def _segments(spikes, onsets, n_pattern, dt=1.0):
    steps = np.rint(onsets / dt).astype(int)
    return np.stack([spikes[s : s + n_pattern] for s in steps])  # (R, P, N)


def test_repeating_pattern_shapes_and_onsets():
    spikes, onsets = make_repeating_pattern(
        300, 4000.0, pattern_duration=40.0, random_state=0
    )
    assert spikes.shape == (4000, 300) and spikes.dtype == np.bool_
    assert onsets.dtype == np.float64
    # None: one repeat per 4 * pattern_duration.
    assert len(onsets) == 4000 // (4 * 40)
    assert np.all(np.diff(onsets) >= 40.0)  # sorted, no overlap
    assert onsets[0] >= 0 and onsets[-1] + 40.0 <= 4000.0
    np.testing.assert_array_equal(onsets, np.round(onsets))


@pytest.mark.parametrize("fraction", [0.0, 0.3, 1.0])
def test_pattern_is_copied_at_every_onset_into_the_chosen_fraction(fraction):
    n_afferents, n_pattern = 200, 50
    spikes, onsets = make_repeating_pattern(
        n_afferents, 6000.0, pattern_fraction=fraction, n_repeats=25, random_state=5
    )
    assert len(onsets) == 25
    segments = _segments(spikes, onsets, n_pattern)  # (R, P, N)
    identical = np.all(segments == segments[:1], axis=(0, 1))  # (N,)
    # Chance agreement of an uninvolved afferent over 25 repeats is negligible
    # (it would need the same spikes in 25 independent 50 ms windows).
    assert identical.sum() == round(fraction * n_afferents)
    if fraction > 0:
        # The pattern is a draw of the background process, not empty.
        assert segments[0][:, identical].mean() > 0.02


def test_rates_equal_inside_and_outside_the_repeats():
    rate, n_afferents, n_pattern = 40.0, 2000, 50
    spikes, onsets = make_repeating_pattern(
        n_afferents, 8000.0, rate=rate, pattern_fraction=0.5, random_state=7
    )
    inside = np.zeros(spikes.shape[0], dtype=bool)
    for s in onsets.astype(int):
        inside[s : s + n_pattern] = True
    segments = _segments(spikes, onsets, n_pattern)
    involved = np.all(segments == segments[:1], axis=(0, 1))
    p = rate / 1000.0
    for rows in (inside, ~inside):
        for cols in (involved, ~involved):
            block = spikes[np.ix_(rows, cols)]
            # The pattern is one draw of 1000 x 50 cells (relative sd 2.2 %);
            # the other blocks hold many more independent cells.
            assert abs(block.mean() / p - 1.0) < 0.1, (rows.mean(), cols.mean())


def test_repeating_pattern_with_half_millisecond_steps():
    spikes, onsets = make_repeating_pattern(
        50,
        1000.0,
        rate=200.0,
        pattern_duration=10.0,
        n_repeats=40,
        dt=0.5,
        random_state=1,
    )
    assert spikes.shape == (2000, 50) and len(onsets) == 40
    np.testing.assert_array_equal(onsets * 2, np.round(onsets * 2))
    segments = _segments(spikes, onsets, 20, dt=0.5)
    assert np.all(segments == segments[:1], axis=(0, 1)).sum() == 25


def test_repeating_pattern_deterministic_and_seed_dependent():
    a = make_repeating_pattern(100, 2000.0, random_state=9)
    b = make_repeating_pattern(100, 2000.0, random_state=9)
    c = make_repeating_pattern(100, 2000.0, random_state=10)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    assert not np.array_equal(a[0], c[0])


@pytest.mark.parametrize(
    ("kwargs", "error", "name"),
    [
        ({"n_afferents": 0}, ValueError, "n_afferents"),
        ({"duration": -1.0}, ValueError, "duration"),
        ({"rate": -5.0}, ValueError, "rate"),
        ({"rate": 2000.0}, ValueError, "rate"),
        ({"pattern_duration": 0.0}, ValueError, "pattern_duration"),
        ({"pattern_duration": 0.2}, ValueError, "pattern_duration"),
        ({"pattern_duration": 5000.0}, ValueError, "pattern_duration"),
        ({"pattern_fraction": 1.2}, ValueError, "pattern_fraction"),
        ({"n_repeats": 21}, ValueError, "n_repeats"),
        ({"n_repeats": -1}, ValueError, "n_repeats"),
        ({"n_repeats": 2.0}, TypeError, "n_repeats"),
        ({"dt": 0.0}, ValueError, "dt"),
    ],
)
def test_repeating_pattern_rejects_bad_parameters(kwargs, error, name):
    params = {"n_afferents": 10, "duration": 1000.0, **kwargs}
    with pytest.raises(error, match=name):
        make_repeating_pattern(**params)


# --- make_natural_patches ------------------------------------------------------------

NAMES = ("camera", "grass")


def _spectral_slope(patches, patch_size):
    """Slope of log power against log radial frequency, from 0.06 to 0.25 c/px."""
    P = patches.reshape(-1, patch_size, patch_size)
    P = P - P.mean(axis=(1, 2), keepdims=True)
    window = np.outer(np.hanning(patch_size), np.hanning(patch_size))
    power = (np.abs(np.fft.fft2(P * window)) ** 2).mean(axis=0)
    f = np.hypot(
        np.fft.fftfreq(patch_size)[:, None], np.fft.fftfreq(patch_size)[None, :]
    )
    band = (f > 0.06) & (f < 0.25)
    return np.polyfit(np.log(f[band]), np.log(power[band]), 1)[0]


def test_whitened_patches_have_a_flatter_spectrum():
    kwargs = {"patch_size": 16, "on_off": False, "names": NAMES, "random_state": 0}
    raw = make_natural_patches(3000, whiten=False, **kwargs)
    white = make_natural_patches(3000, whiten=True, **kwargs)
    slope_raw = _spectral_slope(raw, 16)
    slope_white = _spectral_slope(white, 16)
    # Natural images fall as about 1/f^2 in power; whitening removes about one
    # power of f^2 below the roll-off.
    assert slope_raw < -1.5
    assert slope_white > slope_raw + 1.0


def test_on_off_channels_are_the_halves_of_the_signed_patch():
    n, p = 400, 6
    X = make_natural_patches(n, patch_size=p, names=NAMES, random_state=3)
    signed = make_natural_patches(
        n, patch_size=p, names=NAMES, on_off=False, random_state=3
    )
    assert X.shape == (n, p * p * 2) and signed.shape == (n, p * p)
    channels = X.reshape(n, p, p, 2)  # channels last
    on, off = channels[..., 0], channels[..., 1]
    assert np.all(on * off == 0)
    assert X.min() >= 0 and X.max() <= 1
    np.testing.assert_allclose(on - off, signed.reshape(n, p, p))
    np.testing.assert_allclose(on, np.maximum(signed.reshape(n, p, p), 0))


def test_patches_are_scaled_to_the_99th_percentile():
    signed = make_natural_patches(
        4000, patch_size=8, on_off=False, names=NAMES, random_state=4
    )
    assert signed.min() >= -1 and signed.max() <= 1
    # Each image maps its 99th |value| percentile to 1 and is clipped there,
    # so about 1 % of random pixels sit at +-1.
    clipped = np.mean(np.abs(signed) == 1.0)
    assert 0.002 < clipped < 0.03
    assert 0.5 < np.percentile(np.abs(signed), 99) <= 1.0


def test_unwhitened_patches_are_windows_of_the_centred_scaled_image():
    # Reference built from the docstring: centre, divide by the 99th percentile
    # of |x|, clip to [-1, 1], cut 7 x 7 windows.
    image = load_natural_images(names="camera")["camera"].astype(float)
    x = image - image.mean()
    x = np.clip(x / np.percentile(np.abs(x), 99), -1, 1)
    windows = np.lib.stride_tricks.sliding_window_view(x, (7, 7))  # (H', W', 7, 7)
    patches = make_natural_patches(
        8, patch_size=7, whiten=False, on_off=False, names="camera", random_state=5
    ).reshape(8, 7, 7)
    for patch in patches:
        # Windows whose top-left pixel agrees, then the whole window.
        rows, cols = np.nonzero(np.abs(windows[:, :, 0, 0] - patch[0, 0]) < 1e-12)
        candidates = windows[rows, cols]  # (n_candidates, 7, 7)
        assert np.any(np.all(np.abs(candidates - patch) < 1e-12, axis=(1, 2)))


def test_natural_patches_deterministic_and_seed_dependent():
    a = make_natural_patches(100, names=NAMES, random_state=6)
    b = make_natural_patches(100, names=NAMES, random_state=6)
    c = make_natural_patches(100, names=NAMES, random_state=7)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


@pytest.mark.parametrize(
    ("kwargs", "error", "name"),
    [
        ({"n_patches": 0}, ValueError, "n_patches"),
        ({"patch_size": 0}, ValueError, "patch_size"),
        ({"patch_size": 301}, ValueError, "patch_size"),
        ({"whiten": "yes"}, TypeError, "whiten"),
        ({"on_off": 1}, TypeError, "on_off"),
        ({"names": ["lena"]}, ValueError, "lena"),
    ],
)
def test_natural_patches_reject_bad_parameters(kwargs, error, name):
    params = {"n_patches": 10, "names": ["chelsea"], **kwargs}
    with pytest.raises(error, match=name):
        make_natural_patches(**params)

"""A layer's neurons for one simulation: model, competition, state and the
learned thresholds (private)."""

from __future__ import annotations

import numpy as np

__all__ = ["Population"]


class Population:
    """Neurons of one layer: the neuron model and the competition among them,
    their batched state, spike counts and learned thresholds.

    Parameters
    ----------
    neuron : NeuronModel
    competition : Competition
    connectivity : Connectivity
        For the layer shape and the location grid (inhibition between
        neighbouring locations).
    theta : ndarray of shape (n_locations, n_filters) or None
        Learned threshold offsets at the start (models with an adaptive
        threshold, :meth:`NeuronModel._adaptation
        <stdp_lab.neurons.NeuronModel._adaptation>`).
    n_samples : int
    dtype : numpy dtype
    dt : float
        Time step in ms.
    adapt : bool
        Whether the thresholds are learned in this simulation. While a batch
        learns, a spike in any sample raises that neuron's threshold in every
        sample (:meth:`NeuronModel.share_adaptation
        <stdp_lab.neurons.NeuronModel.share_adaptation>`), as the batch shares
        its weights; without learning each sample adapts on its own.
    lateral : ndarray of shape (1 | n_locations, n_filters, n_filters) or None
        Learned lateral inhibition (:attr:`LayerParams.lateral
        <stdp_lab.network.LayerParams.lateral>`), in place of the
        competition's fixed ``inhibition``; read, never written (a learning
        layer replaces it with :meth:`set_lateral`).
    """

    def __init__(
        self,
        neuron,
        competition,
        connectivity,
        theta,
        n_samples,
        dtype,
        dt,
        adapt,
        lateral=None,
    ):
        shape = (n_samples, connectivity.n_locations, connectivity.n_filters)
        self.neuron = neuron
        self.competition = competition
        self.shape = shape  # (B, L, F)
        self.dtype = np.dtype(dtype)
        self.dt = dt
        self.state = neuron.initial_state(shape, dtype)
        self.theta0 = theta
        if theta is not None:
            if not hasattr(self.state, "theta"):
                raise ValueError(
                    "params.theta is given but the neuron model "
                    f"{type(neuron).__name__} has no adaptive threshold"
                )
            self.state.theta[...] = theta  # (B, L, F) <- (L, F)
        self.adapt = adapt and theta is not None
        self.share = self.adapt and n_samples > 1
        self.counts = np.zeros(shape, np.int32)  # spikes of the presentation
        self.select = competition.select if competition.k else None
        self.lateral = None
        if lateral is not None:
            self.set_lateral(lateral)
        inhibits = competition.inhibits or lateral is not None
        self.inhibition = np.zeros(shape, dtype) if inhibits else None
        neighbours = competition.neighbour_matrix(connectivity.output_grid)
        self.neighbours = None if neighbours is None else neighbours.astype(dtype)

    def step(self, current: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """One step on ``current`` (B, L * F) or (B, L, F), which is modified
        (the inhibition is subtracted in place); returns this step's spikes
        (B, L, F) and their flat indices."""
        current = current.reshape(self.shape)  # (B, L, F)
        if self.inhibition is not None:
            current -= self.inhibition
        # With the few spikes' flat indices, found once by the neuron's reset
        # and reused by everything below.
        spikes, spiked, self.state = self.neuron._step(
            self.state, current, self.dt, select=self.select
        )
        self.counts.reshape(-1)[spiked] += 1
        if self.lateral is not None:
            self._lateral_current(spiked)
        elif self.inhibition is not None:
            self.competition.inhibitory_current(
                spikes, self.neighbours, out=self.inhibition, spiked=spiked
            )
        if self.share:
            # Every sample's threshold also rises with the other samples' spikes.
            self.neuron.share_adaptation(self.state, spikes, self.dt, spiked=spiked)
        return spikes, spiked

    def set_lateral(self, lateral: np.ndarray) -> None:
        """Use the learned lateral inhibition ``lateral`` (1 | L, F, F) from the
        next step on."""
        n_locations, n_filters = self.shape[1:]
        if np.ndim(lateral) != 3 or np.shape(lateral)[1:] != (n_filters, n_filters):
            raise ValueError(
                "params.lateral must have shape (1 | n_locations, n_filters, "
                f"n_filters) = (1 | {n_locations}, {n_filters}, {n_filters}), "
                f"got {np.shape(lateral)}"
            )
        if np.shape(lateral)[0] not in (1, n_locations):
            raise ValueError(
                f"params.lateral must hold 1 or {n_locations} matrices, got "
                f"{np.shape(lateral)[0]}"
            )
        self.lateral = np.asarray(lateral, dtype=self.dtype)

    def _lateral_current(self, spiked: np.ndarray) -> None:
        """The inhibition of the next step from the learned matrices: each
        spike of filter ``i`` at location ``l`` adds ``lateral[l, i]`` to its
        location's filters (added in the order of the spikes), plus the
        competition's ``inhibition_between`` per spike of a neighbouring
        location."""
        out = self.inhibition
        n_samples, n_locations, n_filters = self.shape
        out[...] = 0
        if not spiked.size:
            return
        cell, f = np.divmod(spiked, n_filters)  # cell: b * L + l
        loc = cell % n_locations if len(self.lateral) > 1 else 0
        rows = out.reshape(-1, n_filters)  # (B * L, F), a view
        np.add.at(rows, cell, self.lateral[loc, f])  # (n, F) rows, in order
        if self.neighbours is not None:
            per_location = np.zeros(n_samples * n_locations, dtype=self.dtype)
            np.add.at(per_location, cell, 1)
            near = self.competition._from_neighbours(per_location, self.neighbours)
            out += near[..., None]  # (B, L, 1)

    def thresholds(self, duration: float) -> np.ndarray | None:
        """Learned threshold offsets after a presentation of ``duration`` ms.

        The offset keeps every sample's increment and decays for the whole
        batch, as if the samples came one by one: ``theta_new = decay(T)^B *
        theta0 + increments``, where the increments are those of every sample
        (each row of the state holds them all when shared). With one sample
        per batch this is exactly Diehl & Cook's rule.
        """
        theta = self.theta0
        if not self.adapt:
            return theta
        prepared = self.neuron._prepared(self.dt, self.dtype, self.shape[1:])
        tau_theta = self.neuron._adaptation(prepared)[2]
        end = self.state.theta  # (B, L, F)
        decay = np.exp(-duration / tau_theta)
        if self.share:  # every row holds every sample's increments
            increments = end.mean(axis=0) - decay * theta  # (L, F)
        else:
            increments = (end - decay * theta).sum(axis=0)  # (L, F)
        theta = decay ** end.shape[0] * theta + increments
        return theta.astype(self.dtype, copy=False)

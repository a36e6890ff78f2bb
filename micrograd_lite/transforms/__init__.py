"""What takes a graph of Values and makes something new of it; built on :mod:`micrograd_lite.core` only.

* ``compile``   a recorded graph as straight-line Python (replay, fused SGD step, NumPy batch);
* ``higher``    derivatives that are graphs again: ``grad``, ``hessian``, ``hvp``;
* ``gradcheck`` the engine's gradients against finite differences;
* ``training``  a classifier trained through the compiled replay (it needs ``compile``, so it sits here).
"""

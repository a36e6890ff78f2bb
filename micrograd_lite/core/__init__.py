"""The engine and what joins it: the lowest layer, pure Python, the modules a learner reads first.

Data flows one way through the modules:

* ``ops``       the table of operations: each one's forward value and local derivative, side by side;
* ``engine``    ``Value`` and ``backward()``: the textbook, in lesson order (start here);
* ``nn``        neurons, layers, MLPs and plain SGD, built from Values;
* ``losses``, ``optim``, ``datasets``  softmax and cross-entropy, Adam/AdamW, two moons and yin-yang;
* ``expr``      an expression's text (``"tanh(x*w + b)"``) parsed into Values.
"""

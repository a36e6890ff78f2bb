"""What shows a graph to a learner: names, derivations, logs, pictures and pages; built on core and transforms.

* ``notation``      one way to name a node and print a number or formula, for all below;
* ``explain``       the chain rule written out for one gradient;
* ``backward_log``  the backward pass turn by turn, as a table (``trace``: its deprecated old name);
* ``viz``           Graphviz pictures of a graph;
* ``stepper``, ``trainpage``  the self-contained pages (their HTML in ``templates/``).
"""

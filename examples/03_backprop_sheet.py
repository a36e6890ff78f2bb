"""The course's backpropagation sheet, reproduced by the engine.

    python examples/03_backprop_sheet.py

Builds the 2-2-2 sigmoid network from Values named as in the sheet (i1, w1, h1,
a_h1, ..., E_total), trains it, and checks the hand-derived gradient formulas.
"""

from micrograd_lite import course

network = course.build_network()
E_total = network["E_total"]
E_total.backward()

print("Epoch 0, forward:")
for name in course.FORWARD_NAMES:
    print(f"  {name:8} = {network[name].data:.9f}")
print("Epoch 0, gradients from backward():")
for w in course.WEIGHT_NAMES:
    print(f"  dE_total/d{w} = {network[w].grad:.9f}")

rows = course.train(lr=0.5, epochs=100)
print(f"\nAfter 100 epochs at lr 0.5: E_total = {rows[-1]['E_total']:.6g}")
worst = course.largest_formula_disagreement(rows)
print(f"Hand-derived formulas vs backward(), every row: largest difference {worst.error:.3g}")

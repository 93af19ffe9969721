"""Character sheets and keyframes: ``card`` draws animatic panels with PIL, ``diffusion`` generates images."""

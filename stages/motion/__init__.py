"""Motion clips per shot: ``kenburns`` moves a camera over the keyframe, ``diffusion`` animates it."""

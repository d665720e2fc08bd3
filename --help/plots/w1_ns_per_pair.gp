set terminal png noenhanced size 960,600
set output '--help/plots/w1_ns_per_pair.png'

set title 'W1: alloc+free pair on one CPU (wall time, QEMU TCG)'
set xlabel 'block size (bytes)'
set ylabel 'ns per pair (median of rounds)'
set logscale x 2
set logscale y
set key outside right
set grid
plot 

# dsgd study: the plots of report.md. Run `gnuplot plots.gp` in this folder.
set terminal pngcairo size 1000,650 font ',11' noenhanced
set key outside right top
set grid
set datafile missing 'nan'
$speedup0 << EOD
1 1 0.98679 1.03924 1 1
2 1.90654 1.8557 1.97504 2 1.94209
4 1.26335 1.23877 1.33366 1.19801 1.94209
EOD
$speedup1 << EOD
1 1 0.94135 1.02814 1 1
2 2.67479 2.54781 2.7835 2 1.94209
4 1.54281 1.41193 1.69093 1.52463 1.94209
EOD
$speedup2 << EOD
1 1 0.998878 1.00909 1 1
2 1.96426 1.95385 1.98526 2 1.94209
4 1.92215 1.86023 1.93335 1.94596 1.94209
EOD
set output 'speedup.png'
set title "dsgd study: the seed report's experiments: strong scaling speedup against workers"
set xlabel 'workers W (threads)'
set ylabel 'speedup (x, against the smallest W)'
set xrange [0.5:4.5]
set yrange [0:*]
set xtics 1
plot x with lines lc 'black' title 'ideal (speedup = W)', $speedup0 using 1:2:3:4 with yerrorbars pt 7 lc 1 title "measured 1M x 20", $speedup0 using 1:5 with lines dt 2 lc 1 title "model 1M x 20", $speedup0 using 1:6 with linespoints dt 3 pt 4 lc 1 title "memory-bandwidth scaling 1M x 20", $speedup1 using 1:2:3:4 with yerrorbars pt 7 lc 2 title "measured 150k x 64", $speedup1 using 1:5 with lines dt 2 lc 2 title "model 150k x 64", $speedup1 using 1:6 with linespoints dt 3 pt 4 lc 2 title "memory-bandwidth scaling 150k x 64", $speedup2 using 1:2:3:4 with yerrorbars pt 7 lc 3 title "measured 600k x 256", $speedup2 using 1:5 with lines dt 2 lc 3 title "model 600k x 256", $speedup2 using 1:6 with linespoints dt 3 pt 4 lc 3 title "memory-bandwidth scaling 600k x 256"
$breakdown << EOD
"1M x 20 W=1" 109.971 0 0 0.190758 452.56
"1M x 20 W=2" 55.9058 0.24845 1.41547 0.211242 452.56
"1M x 20 W=4" 30.003 0.215988 56.7427 0.236199 452.56
"150k x 64 W=1" 32.9342 0 0 0.043929 126.336
"150k x 64 W=2" 11.8293 0.070486 0.395369 0.034036 126.336
"150k x 64 W=4" 7.10231 0.0429642 13.9492 0.280821 126.336
"600k x 256 W=1" 851.095 0 0 0.366037 3195.04
"600k x 256 W=2" 430.578 0.329767 2.36954 0.199066 3195.04
"600k x 256 W=4" 289.477 0.274673 150.832 2.38884 3195.04
EOD
set output 'breakdown.png'
unset xrange
set xtics rotate by -30 autofreq
set title "dsgd study: the seed report's experiments: where the time goes (median run, mean per worker)"
set xlabel 'point (series, workers)'
set ylabel 'time (ms)'
set style data histograms
set style histogram rowstacked
set style fill solid 0.8 border -1
set boxwidth 0.7
plot $breakdown using 2:xtic(1) title 'compute', '' using 3 title 'communication (copy and sum)', '' using 4 title 'waiting for peers', '' using 5 title 'other (update, epoch ends)', '' using 6 title 'load (generate or read the data)'
set style data points
set xtics norotate
$conv0 << EOD
1 0.0169639 0.260182152
2 0.0338551 0.199493479
3 0.0506161 0.171149931
4 0.0676778 0.153736846
5 0.0846889 0.141581439
6 0.101738 0.132439727
7 0.118312 0.125219697
8 0.135027 0.119316506
EOD
$conv1 << EOD
1 0.00865953 0.289835399
2 0.0173071 0.209260976
3 0.0258208 0.176272445
4 0.0341813 0.156963144
5 0.0427826 0.143821597
6 0.0512546 0.134091525
7 0.0596905 0.126487829
8 0.0679992 0.120318365
EOD
$conv2 << EOD
1 0.0130566 0.311124092
2 0.0260986 0.215098639
3 0.0389294 0.179216686
4 0.0519296 0.158812778
5 0.0680832 0.145123451
6 0.0812278 0.13507382
7 0.0934468 0.127264643
8 0.102409 0.120953834
EOD
$conv3 << EOD
1 0.00643344 0.492944557
2 0.0132478 0.400659921
3 0.0205581 0.347592243
4 0.027765 0.31250462
5 0.0348582 0.287198503
6 0.041979 0.267857724
EOD
$conv4 << EOD
1 0.0028876 0.551670554
2 0.00568626 0.449698617
3 0.00841762 0.379061428
4 0.0111001 0.331642704
5 0.0136132 0.299759544
6 0.0160636 0.276492409
EOD
$conv5 << EOD
1 0.00432191 0.597522835
2 0.00884707 0.491407857
3 0.0135913 0.405705658
4 0.0183678 0.347580836
5 0.0229867 0.31049767
6 0.0275064 0.284296358
EOD
$conv6 << EOD
1 0.126106 0.404437806
2 0.251183 0.315837849
3 0.385851 0.270843495
4 0.545631 0.242573077
5 0.675157 0.222696499
6 0.80139 0.207720722
7 0.928704 0.195897481
8 1.05455 0.186243626
EOD
$conv7 << EOD
1 0.0644948 0.441360924
2 0.1295 0.328847488
3 0.194372 0.277111281
4 0.261212 0.246017037
5 0.327903 0.224689052
6 0.392699 0.20886915
7 0.459496 0.196512904
8 0.524188 0.186502289
EOD
$conv8 << EOD
1 0.0702124 0.463077036
2 0.133562 0.331907986
3 0.200153 0.276437963
4 0.26954 0.244144017
5 0.335846 0.222348169
6 0.399563 0.206335595
7 0.470095 0.193907074
8 0.534664 0.183881899
EOD
set output 'convergence.png'
set terminal pngcairo size 1300,600 font ',11' noenhanced
set multiplot layout 1,2 title "dsgd study: the seed report's experiments: held-out log-loss as training goes (one scored run a point)"
set xrange [*:*]
set yrange [*:*]
set xtics autofreq
set key inside right top
set title 'against wall time'
set xlabel 'training time (s, held-out scoring included)'
set ylabel 'held-out log-loss'
plot $conv0 using 2:3 with linespoints title "1M x 20 W=1", $conv1 using 2:3 with linespoints title "1M x 20 W=2", $conv2 using 2:3 with linespoints title "1M x 20 W=4", $conv3 using 2:3 with linespoints title "150k x 64 W=1", $conv4 using 2:3 with linespoints title "150k x 64 W=2", $conv5 using 2:3 with linespoints title "150k x 64 W=4", $conv6 using 2:3 with linespoints title "600k x 256 W=1", $conv7 using 2:3 with linespoints title "600k x 256 W=2", $conv8 using 2:3 with linespoints title "600k x 256 W=4"
set title 'against epochs'
set xlabel 'epoch'
plot $conv0 using 1:3 with linespoints title "1M x 20 W=1", $conv1 using 1:3 with linespoints title "1M x 20 W=2", $conv2 using 1:3 with linespoints title "1M x 20 W=4", $conv3 using 1:3 with linespoints title "150k x 64 W=1", $conv4 using 1:3 with linespoints title "150k x 64 W=2", $conv5 using 1:3 with linespoints title "150k x 64 W=4", $conv6 using 1:3 with linespoints title "600k x 256 W=1", $conv7 using 1:3 with linespoints title "600k x 256 W=2", $conv8 using 1:3 with linespoints title "600k x 256 W=4"
unset multiplot
set terminal pngcairo size 1000,650 font ',11' noenhanced
set key outside right top
$bytes0 << EOD
2 384
4 1152
EOD
$bytes1 << EOD
2 1088
4 3264
EOD
$bytes2 << EOD
2 4160
4 12480
EOD
set output 'bytes.png'
set title "dsgd study: the seed report's experiments: bytes one worker sends and receives a step"
set xlabel 'workers W'
set ylabel 'bytes per step per worker (B)'
set xrange [1.5:4.5]
set yrange [0:*]
set xtics 1
plot $bytes0 using 1:2 with linespoints pt 7 title "1M x 20", $bytes1 using 1:2 with linespoints pt 7 title "150k x 64", $bytes2 using 1:2 with linespoints pt 7 title "600k x 256"

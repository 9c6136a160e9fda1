# dsgd study: the plots of report.md. Run `gnuplot plots.gp` in this folder.
set terminal pngcairo size 1000,650 font ',11' noenhanced
set key outside right top
set grid
set datafile missing 'nan'
$speedup0 << EOD
1 1 0.984084 1.00494 1 1
2 1.85242 1.78729 1.88832 2 1.8889
4 1.26731 1.24125 1.37577 1.2192 1.8889
EOD
$speedup1 << EOD
1 1 0.954891 1.05056 1 1
2 2.6513 2.49162 2.78151 2 1.8889
4 1.55254 1.43579 1.69756 1.58292 1.8889
EOD
$speedup2 << EOD
1 1 0.906751 1.04044 1 1
2 1.83932 1.67848 2.02349 2 1.8889
4 1.94448 1.80077 2.03312 1.94509 1.8889
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
"1M x 20 W=1" 101.459 0 0 0.294845 372.878
"1M x 20 W=2" 52.9531 0.366673 1.32117 0.289167 372.878
"1M x 20 W=4" 26.8768 0.282936 52.8651 0.26646 372.878
"150k x 64 W=1" 34.4318 0 0 0.089675 22.2052
"150k x 64 W=2" 12.628 0.100976 0.238187 0.0534195 22.2052
"150k x 64 W=4" 7.25171 0.0636832 14.6099 0.310269 22.2052
"600k x 256 W=1" 737.463 0 0 0.541883 1885.74
"600k x 256 W=2" 380.812 0.342667 19.8471 0.235342 1885.74
"600k x 256 W=4" 235.122 0.319848 138.46 5.63596 1885.74
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
1 0.0153917 0.260182152
2 0.0310846 0.199493479
3 0.0465194 0.171149931
4 0.0616535 0.153736846
5 0.0772688 0.141581439
6 0.0929931 0.132439727
7 0.108514 0.125219697
8 0.123885 0.119316506
EOD
$conv1 << EOD
1 0.00807311 0.289835399
2 0.0161358 0.209260976
3 0.0264085 0.176272445
4 0.0351037 0.156963144
5 0.0435134 0.143821597
6 0.0519784 0.134091525
7 0.0603525 0.126487829
8 0.0691813 0.120318365
EOD
$conv2 << EOD
1 0.0122316 0.311124092
2 0.0244686 0.215098639
3 0.0369443 0.179216686
4 0.0494153 0.158812778
5 0.0624096 0.145123451
6 0.0708139 0.13507382
7 0.0795366 0.127264643
8 0.0878075 0.120953834
EOD
$conv3 << EOD
1 0.00655935 0.492944557
2 0.0131208 0.400659921
3 0.0196754 0.347592243
4 0.0262484 0.31250462
5 0.0329251 0.287198503
6 0.0396246 0.267857724
EOD
$conv4 << EOD
1 0.00274036 0.551670554
2 0.00568107 0.449698617
3 0.00842394 0.379061428
4 0.0111118 0.331642704
5 0.0138409 0.299759544
6 0.0165007 0.276492409
EOD
$conv5 << EOD
1 0.00447765 0.597522835
2 0.00892829 0.491407857
3 0.0135451 0.405705658
4 0.0180039 0.347580836
5 0.0224411 0.31049767
6 0.0270292 0.284296358
EOD
$conv6 << EOD
1 0.101736 0.404437806
2 0.206912 0.315837849
3 0.316151 0.270843495
4 0.42622 0.242573077
5 0.534718 0.222696499
6 0.653946 0.207720722
7 0.762503 0.195897481
8 0.871575 0.186243626
EOD
$conv7 << EOD
1 0.0588831 0.441360924
2 0.116244 0.328847488
3 0.170494 0.277111281
4 0.225466 0.246017037
5 0.284965 0.224689052
6 0.353802 0.20886915
7 0.412577 0.196512904
8 0.475435 0.186502289
EOD
$conv8 << EOD
1 0.0723672 0.463077036
2 0.128823 0.331907986
3 0.185992 0.276437963
4 0.244334 0.244144017
5 0.300066 0.222348169
6 0.354343 0.206335595
7 0.407207 0.193907074
8 0.460747 0.183881899
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

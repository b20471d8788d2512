// ConcatCorpusMap: a corpus you can play with the mouse (issue 13.1). Every unit of a ConcatCorpus is a point at
// two chosen descriptors or at the first two principal components of the normalised descriptors (computed here,
// in sclang, from the unit table's rows when the map opens: nothing is stored in the bundle), coloured by label
// with the palette of `concatseq plot` (ConcatSeqFormat.labelColour, generated from corpus-tools/src/cs_palette.h).
// The points are drawn once into a cached Image (one pixel array, never a view per unit); each redraw paints
// that image, the selection image and a small highlight layer (the units lit in the last litTime seconds).
// Mouse: click plays the nearest unit; drag plays the nearest unit under the pointer every 1/rate seconds (a path
// through the space); hover plays when hoverPlays is true; shift-click toggles a unit, shift-alt-click its whole
// label, shift-drag draws a lasso that adds the units inside it to the selection. The selection becomes a
// SeqPredict mask (maskValues / maskBuffer) or a unit subset (selectedUnits / unitsBuffer). Units started by any
// ConcatPlay synth that carries ConcatCorpusMap.reporter light up: the server sends them with SendReply.

ConcatCorpusMap {
	// The OSC path of the reports of ConcatCorpusMap.reporter (the replyID is the unit table's buffer number).
	classvar <>replyPath = '/concatseq/unit';
	// Cells per side of the nearest-unit grid.
	classvar <>gridSize = 64;

	var <corpus, <axes, <width, <height, <xs, <ys, <labels, <pixels, <image, <selectionImage, pxs, pys;
	var <view, <window, <selected, <lit, <played, <>playAction, <>rate = 12, <>hoverPlays = false;
	var <>litTime = 0.4, <>out = 0, <>amp = 0.5, <>maxPlayed = 1000, <>pointSize = 3;
	var grid, repGrid, emptyRings, lasso, dragging = false, pointer, dragRoutine, lastHover, oscFunc, refreshPending = false;
	var <openSeconds, synthDefName, defSent, rows;

	/*
	A map of `corpus` (a ConcatCorpus, opened or loaded). axes: \pca (the first two principal components of the
	normalised descriptors, the projection of `concatseq plot`, computed in sclang by power iteration on the
	d x d covariance) or a pair of descriptor names of the corpus ([\centroid, \loudness]: normalised values,
	x then y). width, height: the map's size in pixels (the image is that size). parent: a View or Window to
	put the map in, or nil for a new Window (shown). Throws an Error naming the argument when corpus is not a
	ConcatCorpus or an axis is not one of its descriptors. The time the opening took (positions, image, grid)
	is openSeconds.
	*/
	*new { arg corpus, axes = \pca, width = 600, height = 600, parent;
		if(corpus.isKindOf(ConcatCorpus).not) {
			Error("ConcatCorpusMap: argument 'corpus' must be a ConcatCorpus, not %".format(corpus)).throw
		};
		if(width.isNumber.not or: { height.isNumber.not } or: { width < 16 } or: { height < 16 }) {
			Error("ConcatCorpusMap: width and height must be numbers >= 16 (pixels), not % and %".format(width, height)).throw
		};
		^super.new.prInit(corpus, axes, width.asInteger, height.asInteger, parent)
	}

	/*
	The SendReply that reports, for the maps of `corpus`, every unit the ConcatPlay behind `sig` (the audio
	returned by ConcatPlay.ar) starts: a message replyPath [node, unit table bufnum, unit] at the sample where
	the unit-index output changes (a unit started twice in a row is reported once). corpus: a ConcatCorpus,
	a unit-table Buffer or its number. Use inside a SynthDef; returns the SendReply (sig is unchanged).
	*/
	*reporter { arg sig, corpus;
		var u = ConcatPlay.unitOf(sig), id = this.prTableNumber(corpus);
		^SendReply.ar(Changed.ar(u) * (u >= 0), replyPath, u, id)
	}

	*prTableNumber { arg corpus;
		^case { corpus.isKindOf(ConcatCorpus) } { corpus.unitBuffer !? (_.bufnum) ? -1 }
		{ corpus.isKindOf(Buffer) } { corpus.bufnum } { corpus.isNumber } { corpus.asInteger }
		{ Error("ConcatCorpusMap.reporter: argument 'corpus' must be a ConcatCorpus, a Buffer or a number, not %".format(corpus)).throw }
	}

	prInit { arg argCorpus, argAxes, w, h, parent;
		var t0 = Main.elapsedTime;
		corpus = argCorpus; width = w; height = h;
		selected = Set.new; lit = IdentityDictionary.new; played = List.new;
		this.prPositions(argAxes);
		this.prPixels;
		this.prGrid;
		this.prDrawImage;
		this.prDrawSelection;
		this.prMakeView(parent);
		oscFunc = OSCFunc({ |msg| this.prReport(msg) }, replyPath);
		openSeconds = Main.elapsedTime - t0;
	}

	// Columns 0..1 of the positions (xs, ys: FloatArrays of 0..1, y up) from the chosen axes.
	prPositions { arg argAxes;
		var n = corpus.numUnits, d = corpus.numDescriptors, cols, px, py;
		if(argAxes == \pca) {
			if(d < 1) { Error("ConcatCorpusMap: % has no descriptors to project".format(corpus)).throw };
			cols = this.prColumns((0 .. d - 1));
			#px, py = this.class.pca2(cols);
		} {
			if(argAxes.isKindOf(SequenceableCollection).not or: { argAxes.size != 2 }) {
				Error("ConcatCorpusMap: argument 'axes' must be \\pca or two descriptor names, not %".format(argAxes)).throw
			};
			cols = this.prColumns(argAxes.collect { |a| corpus.descriptorIndex(a, "ConcatCorpusMap") });
			#px, py = cols;
		};
		axes = argAxes;
		xs = this.class.prUnitRange(px);
		ys = this.class.prUnitRange(py);
		labels = Int32Array.newFrom(rows[ConcatSeqFormat.rowLabel].asInteger);
		rows = nil;
	}

	// The normalised descriptor columns `idx` of every unit (an Array of Signals: their arithmetic is primitive,
	// which keeps the PCA of 100 000 units in sclang well under a second). Keeps the label column in `rows`.
	prColumns { arg idx;
		var h = ConcatSeqFormat.unitTableHeader, n = corpus.numUnits, s = corpus.stride;
		var all = corpus.table.copyRange(h, h + (n * s) - 1).unlace(s);
		rows = IdentityDictionary[ConcatSeqFormat.rowLabel -> all[ConcatSeqFormat.rowLabel]];
		^idx.collect { |k| all[ConcatSeqFormat.rowDescriptors + k].as(Signal) }
	}

	/*
	The first two principal components of the columns `cols` (an Array of d Signals of n values, the projection
	of cs_pca2 in corpus-tools/src/cs_plot.c): the columns are centred, the d x d covariance is computed with
	Signal arithmetic (sums in 32-bit floats) and its two leading eigenvectors are found by power iteration with
	deflation (300 iterations; sign fixed as in cs_pca2: the largest |component| positive). Returns [pc1, pc2],
	two Signals of n values (pc2 is zeros when d = 1). Throws when a column is not a Signal.
	*/
	*pca2 { arg cols;
		var d = cols.size, n = cols[0].size, cen, cov, vecs = Array.new(2), lambda, m, proj;
		if(cols.any { |c| c.isKindOf(Signal).not }) { Error("ConcatCorpusMap.pca2: the columns must be Signals").throw };
		cen = cols.collect { |c| var mean = c.integral / max(n, 1); c - mean };
		cov = Array.fill(d, { |i| Array.fill(d, { |j| 0 }) });
		d.do { |i| (i .. d - 1).do { |j| var v = (cen[i] * cen[j]).integral / max(n, 1); cov[i][j] = v; cov[j][i] = v } };
		m = cov.deepCopy;
		2.do { |c|
			var v = Array.fill(d, { |i| 1.0 + (i * 0.01) }), w, norm;
			300.do {
				w = Array.fill(d, { |i| (m[i] * v).sum });
				norm = (w * w).sum.sqrt;
				if(norm > 1e-12) { v = w / norm };
			};
			lambda = (Array.fill(d, { |i| (m[i] * v).sum }) * v).sum;
			if(v.abs.maxIndex.notNil and: { v[v.abs.maxIndex] < 0 }) { v = v.neg };
			vecs.add(if(lambda > 1e-12 or: { c == 0 }) { v } { v * 0 });
			d.do { |i| d.do { |j| m[i][j] = m[i][j] - (lambda * v[i] * v[j]) } };
		};
		proj = vecs.collect { |v|
			var p = Signal.newClear(n);
			d.do { |k| if(v[k] != 0) { p = p + (cen[k] * v[k]) } };
			p
		};
		^proj
	}

	// values scaled to 0..1 (min to max; all 0.5 when they are all equal or not finite).
	*prUnitRange { arg values;
		var lo = values.minItem, hi = values.maxItem;
		if(lo.isNil or: { (hi - lo).abs < 1e-12 } or: { (hi - lo).isNaN }) {
			^FloatArray.fill(values.size, 0.5)
		};
		^(values - lo) * (1 / (hi - lo))
	}

	// The pixel positions of the units (y down), margins of pointSize + 1 keep every point whole.
	prPixels {
		var m = pointSize + 1, kx = width - 1 - (2 * m), ky = height - 1 - (2 * m);
		pxs = Int32Array.fill(xs.size, { |u| (m + (xs[u] * kx)).round.asInteger });
		pys = Int32Array.fill(xs.size, { |u| ((height - 1 - m) - (ys[u] * ky)).round.asInteger });
	}

	// Pixel position of unit u in the view (a Point of Integers; y down).
	positionOf { arg u; ^Point(pxs[u], pys[u]) }

	// The colour of label l (Color), the palette of `concatseq plot`.
	colourOf { arg l;
		var rgb = ConcatSeqFormat.labelColour(l, corpus.numLabels);
		^Color.new255(rgb[0], rgb[1], rgb[2])
	}

	/*
	Grid of gridSize x gridSize cells of unit indices, for the lasso (every unit), and the same grid holding one
	unit per occupied pixel, the lowest index there, for nearest (repGrid). Units on one pixel are at the same
	distance from any point and nearest keeps the first of a cell in index order, so searching the
	representatives gives the same unit as searching them all, in at most (cell width x cell height) units per
	cell however dense the map is (100 000 units pile up on few pixels).
	*/
	prGrid {
		var g = gridSize;
		var cx = width / g, cy = height / g, seen = Int8Array.newClear(width * height), reps;
		grid = Array.fill(g * g, { List.new });
		reps = Array.fill(g * g, { List.new });
		xs.size.do { |u|
			var cell = ((pys[u] / cy).floor.clip(0, g - 1) * g) + (pxs[u] / cx).floor.clip(0, g - 1);
			var pix = (pys[u] * width) + pxs[u];
			grid[cell].add(u);
			if(seen[pix] == 0) { seen[pix] = 1; reps[cell].add(u) };
		};
		grid = grid.collect { |l| Int32Array.newFrom(l.asArray) };
		repGrid = reps.collect { |l| Int32Array.newFrom(l.asArray) };
		emptyRings = this.class.prChessboardDistance(grid.collect { |l| l.size > 0 }, g);
	}

	/*
	The chessboard (Chebyshev) distance in cells from each cell of a g x g grid to the nearest cell whose flag is
	true (g when there is none): the two-pass 8-neighbour distance transform (Rosenfeld & Pfaltz 1966), exact for
	this metric. nearest starts its ring search there: the rings before it are empty.
	*/
	*prChessboardDistance { arg occupied, g;
		var d = Int32Array.fill(g * g, { |i| if(occupied[i]) { 0 } { g } });
		var at = { |x, y| if(x >= 0 and: { x < g } and: { y >= 0 } and: { y < g }) { d[(y * g) + x] } { g } };
		g.do { |y| g.do { |x|
			d[(y * g) + x] = [d[(y * g) + x], at.(x - 1, y - 1) + 1, at.(x, y - 1) + 1, at.(x + 1, y - 1) + 1,
				at.(x - 1, y) + 1].minItem
		} };
		(g - 1 .. 0).do { |y| (g - 1 .. 0).do { |x|
			d[(y * g) + x] = [d[(y * g) + x], at.(x + 1, y + 1) + 1, at.(x, y + 1) + 1, at.(x - 1, y + 1) + 1,
				at.(x + 1, y) + 1].minItem
		} };
		^d
	}

	prCellXY { arg p; ^[(p.x / width * gridSize).floor.clip(0, gridSize - 1).asInteger,
		(p.y / height * gridSize).floor.clip(0, gridSize - 1).asInteger] }

	prCell { arg p; var c = this.prCellXY(p); ^(c[1] * gridSize) + c[0] }

	/*
	The unit nearest to the pixel position p (a Point in the view; Euclidean distance in pixels), or nil when
	none is within maxDist pixels (default: any distance); of units on the same pixel, the lowest index. Searches
	the grid of one unit per pixel ring by ring: O(occupied pixels near p).
	*/
	nearest { arg p, maxDist = inf;
		var c = this.prCellXY(p), best, bestD = inf, cw = width / gridSize, ch = height / gridSize;
		var r = emptyRings[(c[1] * gridSize) + c[0]];   // the rings before it hold no unit
		var visit = { |cx, cy|
			if(cx >= 0 and: { cx < gridSize } and: { cy >= 0 } and: { cy < gridSize }) {
				repGrid[(cy * gridSize) + cx].do { |u|
					var dd = (pxs[u] - p.x).squared + (pys[u] - p.y).squared;
					if(dd < bestD) { bestD = dd; best = u };
				}
			}
		};
		// ring r: the cells at Chebyshev distance r from p's cell, row by row as before (top row, then the two
		// side cells of each inner row, then the bottom row), so ties go the same way; O(r) cells per ring
		while { r < gridSize and: { best.isNil or: { ((r - 1) * min(cw, ch)) < bestD.sqrt } } } {
			if(r == 0) { visit.(c[0], c[1]) } {
				(c[0] - r .. c[0] + r).do { |cx| visit.(cx, c[1] - r) };
				(c[1] - r + 1 .. c[1] + r - 1).do { |cy| visit.(c[0] - r, cy); visit.(c[0] + r, cy) };
				(c[0] - r .. c[0] + r).do { |cx| visit.(cx, c[1] + r) };
			};
			r = r + 1;
		};
		if(best.notNil and: { bestD.sqrt <= maxDist }) { ^best };
		^nil
	}

	// Paint the points into the cached image (one pixel array; later labels paint over earlier ones).
	prDrawImage {
		var px = Int32Array.fill(width * height, Image.colorToPixel(Color.grey(0.97)));
		var cols = Array.fill(corpus.numLabels, { |l| Image.colorToPixel(this.colourOf(l)) }), half = pointSize div: 2;
		var offs = Int32Array.newFrom(Array.fill2D(pointSize, pointSize, { |y, x| ((y - half) * width) + (x - half) }).flatten);
		var black = Image.colorToPixel(Color.black);
		xs.size.do { |u|
			var i = (pys[u] * width) + pxs[u], c = cols[labels[u]] ? black;
			offs.do { |o| px[i + o] = c }
		};
		pixels = px;
		image !? { image.free };
		image = Image.new(width, height);
		image.setPixels(px);
	}

	// Paint the selection image: a black ring around each selected unit, transparent elsewhere.
	prDrawSelection {
		var px = Int32Array.newClear(width * height), black = Image.colorToPixel(Color.black);
		var r = (pointSize div: 2) + 1;
		selected.do { |u|
			var p = this.positionOf(u);
			(r.neg .. r).do { |dy| (r.neg .. r).do { |dx|
				if(dx.abs == r or: { dy.abs == r }) {
					var x = p.x + dx, y = p.y + dy;
					if(x >= 0 and: { x < width } and: { y >= 0 } and: { y < height }) { px[(y * width) + x] = black }
				}
			} }
		};
		selectionImage !? { selectionImage.free };
		selectionImage = Image.new(width, height);
		selectionImage.setPixels(px);
	}

	// Everything a redraw paints (with Pen): the cached image, the selection image, the lit units, the lasso.
	draw {
		var now = Main.elapsedTime, r = pointSize + 3;
		if(image.isNil) { ^this };
		image.drawAtPoint(0 @ 0);
		selectionImage.drawAtPoint(0 @ 0);
		Pen.width = 2;
		Pen.strokeColor = Color.white;
		lit.keysValuesDo { |u, t|
			if(now - t <= litTime) {
				var p = this.positionOf(u);
				Pen.strokeOval(Rect(p.x - r, p.y - r, 2 * r, 2 * r));
			}
		};
		if(lasso.notNil and: { lasso.size > 1 }) {
			Pen.strokeColor = Color.black;
			Pen.width = 1;
			Pen.moveTo(lasso[0]);
			lasso.do { |q| Pen.lineTo(q) };
			Pen.stroke;
		}
	}

	/*
	The map as drawn (an Image of width x height; the caller frees it): Image.fromWindow of the view. Under
	QT_QPA_PLATFORM=offscreen this is what a window would show (for tests and pictures).
	*/
	render { ^Image.fromWindow(view) }

	prMakeView { arg parent;
		if(parent.isNil) {
			window = Window("ConcatCorpusMap: " ++ corpus.dir.basename, Rect(100, 100, width, height), false);
			parent = window;
		};
		view = UserView(parent, Rect(0, 0, width, height));
		view.drawFunc = { this.draw };
		view.acceptsMouseOver = true;
		view.mouseDownAction = { |v, x, y, mods| this.prDown(x @ y, mods) };
		view.mouseMoveAction = { |v, x, y, mods| this.prMove(x @ y, mods) };
		view.mouseUpAction = { |v, x, y, mods| this.prUp(x @ y, mods) };
		view.mouseOverAction = { |v, x, y| this.prHover(x @ y) };
		view.onClose = { this.prClosed };
		window !? { window.front };
	}

	prDown { arg p, mods;
		if(mods.isShift) { lasso = List[p]; ^this };
		pointer = p;
		dragging = true;
		this.prPlayNearest;
		dragRoutine.stop;
		dragRoutine = Routine {
			loop { rate.reciprocal.clip(0.005, 10).wait; if(dragging) { this.prPlayNearest } }
		}.play(AppClock);
	}

	prMove { arg p, mods;
		if(lasso.notNil) {
			if(lasso.last.dist(p) >= 3) { lasso.add(p); this.prRefresh };
			^this
		};
		if(dragging) { pointer = p }
	}

	prUp { arg p, mods;
		var poly, u;
		if(lasso.notNil) {
			poly = lasso; lasso = nil;
			if(poly.size < 3) {
				u = this.nearest(p);
				if(u.notNil) {
					if(mods.isAlt) {
						this.toggleLabel(labels[u])
					} { if(selected.includes(u)) { this.deselectUnits([u]) } { this.selectUnits([u]) } }
				}
			} { this.selectUnits(this.unitsInside(poly)) };
			this.prRefresh;
			^this
		};
		dragging = false;
		dragRoutine.stop; dragRoutine = nil;
	}

	prHover { arg p;
		var u;
		if(hoverPlays.not or: { dragging }) { ^this };
		u = this.nearest(p, pointSize * 4);
		if(u.notNil and: { u != lastHover }) { lastHover = u; this.playUnit(u) };
	}

	prPlayNearest { var u = this.nearest(pointer); u !? { this.playUnit(u) } }

	/*
	The units whose points lie inside the polygon `points` (an Array of Points in view pixels; even-odd rule),
	sorted. Only the grid cells under the polygon's bounding box are looked at.
	*/
	unitsInside { arg points;
		var xs0 = points.collect(_.x), ys0 = points.collect(_.y), c0, c1, found = List.new;
		c0 = this.prCellXY(xs0.minItem @ ys0.minItem); c1 = this.prCellXY(xs0.maxItem @ ys0.maxItem);
		(c0[1] .. c1[1]).do { |cy| (c0[0] .. c1[0]).do { |cx|
			grid[(cy * gridSize) + cx].do { |u| if(this.class.prInside(this.positionOf(u), points)) { found.add(u) } }
		} };
		^found.asArray.sort
	}

	*prInside { arg p, poly;
		var inside = false, j = poly.size - 1;
		poly.do { |a, i|
			var b = poly[j];
			if(((a.y > p.y) != (b.y > p.y)) and: { p.x < ((b.x - a.x) * (p.y - a.y) / (b.y - a.y) + a.x) }) {
				inside = inside.not
			};
			j = i;
		};
		^inside
	}

	/*
	Play unit u: adds it to `played` (the last maxPlayed units, oldest first), lights it and calls playAction
	(u, this) when set; else, when the corpus is loaded, starts a ConcatPlay synth of the unit (out, amp;
	freed at the unit's end) that reports itself with *reporter. Returns u, or nil for a bad unit.
	*/
	playUnit { arg u;
		if(u.isInteger.not or: { u < 0 } or: { u >= xs.size }) { ^nil };
		played.add(u);
		if(played.size > maxPlayed) { played.removeAt(0) };
		this.light(u);
		if(playAction.notNil) { playAction.value(u, this); ^u };
		if(corpus.isLoaded("ConcatCorpusMap", true)) { this.prPlaySynth(u) };
		^u
	}

	prPlaySynth { arg u;
		var s = corpus.server;
		synthDefName = synthDefName ?? { ("concatCorpusMap" ++ this.identityHash.abs).asSymbol };
		if(defSent != s) {
			defSent = s;
			SynthDef(synthDefName, { |out = 0, amp = 0.5, unit = 0, dur = 1, abuf = 0, ubuf = 0|
				var sig = ConcatPlay.ar(2, [abuf, ubuf], 1, unit: unit, amp: amp);
				Line.kr(0, 0, dur, doneAction: 2);
				Out.ar(out, sig)
			}).add;
			// the first synth waits for the SynthDef (a click's action is not a Routine: sync in one of our own)
			Routine { s.sync; this.prSynth(u) }.play(AppClock);
			^this
		};
		this.prSynth(u)
	}

	prSynth { arg u;
		var s = corpus.server;
		if(corpus.isLoaded("ConcatCorpusMap", true).not) { ^nil };
		^Synth(synthDefName, [out: out, amp: amp, unit: u, dur: corpus.lengthOf(u) / corpus.sampleRate + 0.05,
			abuf: corpus.audioBuffer.bufnum, ubuf: corpus.unitBuffer.bufnum], s)
	}

	// Light unit u (drawn with a ring for litTime seconds) and schedule the redraws.
	light { arg u;
		if(u.isInteger.not or: { u < 0 } or: { u >= xs.size }) { ^this };
		lit[u] = Main.elapsedTime;
		this.prRefresh;
		AppClock.sched(litTime + 0.02, { this.prExpire; nil });
	}

	// The units lit now (an Array, sorted).
	litUnits { var now = Main.elapsedTime; ^lit.select { |t| now - t <= litTime }.keys.asArray.sort }

	prExpire {
		var now = Main.elapsedTime;
		lit.keys.asArray.do { |u| if(now - lit[u] > litTime) { lit.removeAt(u) } };
		this.prRefresh;
	}

	prReport { arg msg;
		var id = this.class.prTableNumber(corpus), u = msg[3];
		if(msg[2] == id and: { u.notNil }) { { this.light(u.asInteger) }.defer }
	}

	prRefresh {
		if(refreshPending.not and: { view.notNil } and: { view.isClosed.not }) {
			refreshPending = true;
			{ refreshPending = false; if(view.isClosed.not) { view.refresh } }.defer(0.02)
		}
	}

	// Add the units `us` (an Array of unit indices; bad ones are ignored) to the selection.
	selectUnits { arg us;
		us.do { |u| if(u.isInteger and: { u >= 0 } and: { u < xs.size }) { selected.add(u) } };
		this.prDrawSelection; this.prRefresh;
	}

	// Remove the units `us` from the selection.
	deselectUnits { arg us; us.do { |u| selected.remove(u) }; this.prDrawSelection; this.prRefresh }

	// Select every unit of the labels `ls` (Integers 0..numLabels-1).
	selectLabels { arg ls; this.selectUnits(ls.asArray.collect { |l| corpus.unitsOf(l) }.flatten) }

	// Select all units of label l, or deselect them all when they are all selected.
	toggleLabel { arg l;
		var us = corpus.unitsOf(l);
		if(us.every { |u| selected.includes(u) }) { this.deselectUnits(us) } { this.selectUnits(us) }
	}

	// Empty the selection.
	clearSelection { selected = Set.new; this.prDrawSelection; this.prRefresh }

	// The selected units, sorted (an Array of Integers): a unit subset, e.g. for Pconcatunit or Pseq.
	selectedUnits { ^selected.asArray.sort }

	// The labels with at least one selected unit, sorted.
	selectedLabels { ^selected.collect { |u| labels[u] }.asArray.sort }

	// SeqPredict's mask as an Array of numLabels values: 1 for each label with a selected unit, else 0.
	maskValues { var ls = selected.collect { |u| labels[u] }; ^Array.fill(corpus.numLabels, { |l| if(ls.includes(l)) { 1 } { 0 } }) }

	/*
	A new Buffer on `server` (default the corpus's server) holding maskValues: give it as SeqPredict's `mask`
	(label i is drawn only when value i > 0). action is called with the Buffer once it is loaded. The caller
	frees it. Use maskBuffer again (or Buffer.setn with maskValues) after changing the selection.
	*/
	maskBuffer { arg server, action;
		^Buffer.loadCollection(server ? corpus.server ? Server.default, this.maskValues, 1, action)
	}

	/*
	A new Buffer on `server` holding selectedUnits (unit indices), e.g. for ConcatPlay's unit through
	Index.kr(buf, ...) or BufRd; action as for maskBuffer; the caller frees it. nil when nothing is selected.
	*/
	unitsBuffer { arg server, action;
		if(selected.isEmpty) { ^nil };
		^Buffer.loadCollection(server ? corpus.server ? Server.default, this.selectedUnits, 1, action)
	}

	/*
	Seconds to redraw the map `times` times (the cached image, the selection image and the highlight layer of
	the lit units) into an offscreen Image: the headless estimate of the time of a frame while dragging.
	*/
	redrawSeconds { arg times = 20;
		var img = Image.new(width, height), t0 = Main.elapsedTime;
		times.do { img.draw { this.draw } };
		t0 = (Main.elapsedTime - t0) / times;
		img.free;
		^t0
	}

	prClosed {
		dragRoutine.stop; dragRoutine = nil;
		oscFunc.free; oscFunc = nil;
		image !? { image.free }; selectionImage !? { selectionImage.free };
		image = selectionImage = nil;
	}

	// Close the window (or remove the view) and free the images and the OSC responder.
	close { if(window.notNil) { window.close } { view !? { view.remove } }; this.prClosed }

	printOn { arg stream; stream << "ConcatCorpusMap(" << corpus.dir.basename << ", " << xs.size << " units)" }
}

+ ConcatCorpus {
	// A ConcatCorpusMap of this corpus (axes, width, height, parent: as for ConcatCorpusMap.new).
	map { arg axes = \pca, width = 600, height = 600, parent;
		^ConcatCorpusMap(this, axes, width, height, parent)
	}
}

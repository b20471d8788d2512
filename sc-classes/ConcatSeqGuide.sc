/*
ConcatSeqGuide: model x target guidance in the language (issue 10), the port of cs_seqp_guide_logits
(plugins/core/cs_seqpredict.c) that SeqModelLang and Pseqpredict use, so that they draw the labels SeqPredict draws
for the same model, seed, target and guidance.

It holds what the server reads, from the same place: the unit table's listening section (version 3,
corpus-tools/BUNDLE.md; ConcatCorpus keeps the table in sclang): per label the centroid (the mean of the label's
normalised unit descriptors) and per descriptor the clustering weight, float32 as stored, and per label the unit
count (labels section). (The manifest's clustering.labels[k].centroid holds the same means, but printed by cJSON
with 15 significant digits when those read back within DBL_EPSILON, so a value can round to the neighbouring
float32: the table is the exact source.) The guided logits of a step are
    d2_k  = sum_j w_j (t_j - c_k,d_j)^2 / sum_j w_j     (the target's usable terms j, in order; w_j = the weight of
                                                         descriptor d_j, or 1 when it is 0)
    out_k = logits_k - guidance * (d2_k - min_k d2_k) / (2 sigma^2),   sigma = 1 (one normalised unit)
in double, then rounded to float32: the product of the model's distribution and a Gaussian observation model of the
target around each label's centroid. Labels without a centroid (empty, or beyond the corpus's labels) count as
the farthest. See HelpSource/Classes/ConcatSeqGuide.schelp.
*/
ConcatSeqGuide {
	var <corpus, <centroids, <weights, <counts, <numLabels, <numDescriptors;

	/*
	The guide of a ConcatCorpus (loaded or opened: its unit table is read in sclang). Throws an Error (one line
	naming the bundle) when the table has no listening section (a bundle from an older concatseq: rebuild it with
	`concatseq analyze --force`).
	*/
	*new { arg corpus; ^super.newCopyArgs(corpus).prInit }

	// A guide from a ConcatCorpus (cached per corpus), a ConcatSeqGuide (as it is) or nil (nil).
	*from { arg thing;
		if(thing.isNil or: { thing.isKindOf(ConcatSeqGuide) }) { ^thing };
		if(thing.isKindOf(ConcatCorpus)) { ^ConcatSeqPatternCache.guide(thing) };
		Error("ConcatSeqGuide: needs a ConcatCorpus, not %".format(thing)).throw
	}

	prInit {
		var f = ConcatSeqFormat, t = corpus.table, y, lab, d, k;
		numLabels = k = corpus.numLabels;
		numDescriptors = d = corpus.numDescriptors;
		y = if(t.size > f.utListenOffsetLo) { f.join(t[f.utListenOffsetHi], t[f.utListenOffsetLo]).asInteger } { 0 };
		if(y <= 0 or: { t.size < (y + f.listenFixed + (3 * d) + (k * d)) } or: { t[y] != f.listenMagic }) {
			Error("ConcatSeqGuide: % has no listening section in its unit table (rebuild the bundle with `concatseq analyze --force`)".format(corpus.dir)).throw
		};
		weights = Array.fill(d, { |j| t[y + f.listenFixed + (2 * d) + j] });
		centroids = Array.fill(k, { |c| Array.fill(d, { |j| t[y + f.listenFixed + (3 * d) + (c * d) + j] }) });
		lab = f.join(t[f.utLabelsOffsetHi], t[f.utLabelsOffsetLo]).asInteger;
		counts = Array.fill(k, { |c| t[lab + (2 * c) + 1].asInteger });
	}

	/*
	The target as [[index, value], ...] the way the server reads it (ConcatPlay's target pairs): at most maxPairs
	pairs; a descriptor is a name (this corpus's descriptorNames) or an index (floored); pairs whose index is not a
	descriptor of the corpus, or whose value is not a finite number, are skipped (as the server skips them); values
	rounded to float32. nil or [] -> []. Throws an Error for an unknown name or an odd-sized Array (as
	ConcatPlay.targetInputs does).
	*/
	terms { arg target;
		var out = [];
		if(target.isNil) { ^out };
		if(target.isSequenceableCollection.not or: { target.size.odd }) {
			Error("ConcatSeqGuide: target must be nil or an Array of [descriptor, value] pairs, not %".format(target)).throw
		};
		target.clump(2).keep(this.class.maxPairs).do { |p|
			var d = p[0], v = p[1];
			if(d.isKindOf(Symbol) or: { d.isString }) { d = corpus.descriptorIndex(d, "ConcatSeqGuide") };
			if(d.isNumber and: { d >= 0 } and: { d < numDescriptors } and: { v.isNumber } and: { (v - v) == 0 }) {
				if(out.size < this.class.maxTerms) { out = out.add([d.floor.asInteger, FloatArray[v.asFloat][0]]) }
			}
		};
		^out
	}

	// The guidance as the server uses it: float32; NaN, inf, <= 0 -> 0; at most maxGuidance.
	*guidanceValue { arg g;
		var x;
		if(g.isNumber.not) { ^0 };
		x = FloatArray[g.asFloat][0];
		if(x.isNaN or: { x == inf } or: { x <= 0 }) { ^0 };
		^min(x, FloatArray[this.maxGuidance][0])
	}

	// d2 of every label (nil for a label without a centroid) for the terms (as -terms returns them).
	distances { arg terms, vocab;
		var wsum = 0.0, ws;
		ws = terms.collect { |t| var w = weights[t[0]]; if(w > 0 and: { w < inf }) { w } { 1.0 } };
		ws.do { |w| wsum = wsum + w };
		^vocab.collect { |k|
			var c, acc = 0.0, d2;
			if(k < numLabels and: { counts[k] >= 1 }) {
				c = centroids[k];
				terms.do { |t, j| var d = t[1] - c[t[0]]; acc = acc + (ws[j] * (d * d)) };
				d2 = acc / wsum;
				if(d2.isNaN) { inf } { d2 }
			}
		}
	}

	/*
	The guided logits (an Array of vocab float32 values) of `logits` for `target` (pairs, see -terms) and
	`guidance`, or nil when nothing guides (guidance 0 after guidanceValue, no usable term, no label with a
	centroid): then the step uses the logits as they are, as the server does.
	*/
	logits { arg logits, target, guidance;
		var g = this.class.guidanceValue(guidance), terms, d2, dmin = inf, dmax = -inf, halfG;
		if(g == 0) { ^nil };
		terms = this.terms(target);
		if(terms.isEmpty) { ^nil };
		d2 = this.distances(terms, logits.size);
		d2.do { |d| if(d.notNil) { if(d < dmin) { dmin = d }; if(d > dmax) { dmax = d } } };
		if(dmin == inf) { ^nil };
		halfG = g * 0.5;
		^logits.collect { |l, k| FloatArray[l - (halfG * ((d2[k] ? dmax) - dmin))][0] }
	}

	// The label whose centroid is nearest to the target (the smallest d2, lowest label on ties); nil without terms.
	nearestLabel { arg target;
		var terms = this.terms(target), d2, best, bd = inf;
		if(terms.isEmpty) { ^nil };
		d2 = this.distances(terms, numLabels);
		d2.do { |d, k| if(d.notNil and: { d < bd }) { bd = d; best = k } };
		^best
	}

	// the server's limits (plugins/core/cs_seqpredict.h, through ConcatSeqFormat)
	*maxGuidance { ^ConcatSeqFormat.guideMaxGuidance }
	*maxPairs { ^ConcatSeqFormat.guideMaxPairs }
	*maxTerms { ^ConcatSeqFormat.guideMaxTerms }

	printOn { arg stream; stream << "ConcatSeqGuide(" << corpus << ")" }
}

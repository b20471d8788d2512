// SeqModel: a ConcatSeq sequence model (models/FORMAT.md: a mono float32 WAV holding a 64-float header and
// the weights; format versions 1 and 2 are read) in sclang and on the server. Every layout constant (magic,
// versions, header fields, split integers) comes from ConcatSeqFormat, generated from the C core. *train runs `concatseq train` asynchronously; *load loads the file
// into a Buffer for SeqPredict and reads the header on the language side for `info`; *open reads only the
// header (for NRT Scores, see scoreLoadCommands). A SeqModel can be given to SeqPredict wherever a buffer
// number is expected (asUGenInput / asControlInput answer the buffer number).

SeqModel {
	var <path, <server, <buffer, <info, <header;

	// The model-file magic number (ConcatSeqFormat.modelMagic).
	*magic { ^ConcatSeqFormat.modelMagic }
	// The newest model-format version read (ConcatSeqFormat.modelVersion; versions modelVersionMin.. are read).
	*formatVersion { ^ConcatSeqFormat.modelVersion }
	// Floats in the model header (ConcatSeqFormat.modelHeader).
	*headerFloats { ^ConcatSeqFormat.modelHeader }

	/*
	Train a model on a corpus bundle, asynchronously: runs `concatseq train --progress lines OPTIONS... -- BUNDLE`
	(the program is found as ConcatCorpus.findProgram finds it) and posts its progress as it comes.
	corpus: a ConcatCorpus or the path of a bundle directory.
	options: nil, an Array of command-line words (["--arch", "transformer", "--epochs", 20]) or an Event /
	Dictionary (arch: \gru, hidden: 64, layers: 2, epochs: 30, seed: 1, force: true, output: "/path/model.wav");
	see `concatseq train --help`. Without `output` the model is written to <bundle>/model.wav.
	action: called with the SeqModel when the program ends - loaded on the corpus's server when `corpus` is a
	loaded ConcatCorpus (its Buffer is usable in action), else opened only (info, no Buffer) - or with nil on
	failure (the program's error is posted). Returns the pid, or nil when the program is missing.
	*/
	*train { arg corpus, options, action;
		var dir, loadOn, words, out;
		if(corpus.isKindOf(ConcatCorpus)) {
			dir = corpus.dir;
			loadOn = corpus.server;
		} {
			if(corpus.isString.not and: { corpus.isKindOf(Symbol).not }) {
				Error("SeqModel.train: argument 'corpus' must be a ConcatCorpus or a bundle path, not %".format(corpus)).throw
			};
			dir = corpus.asString.standardizePath;
		};
		words = ConcatCorpus.optionWords(options, "SeqModel.train");
		if(words.isNil) { ConcatSeqLoad.later(action, nil); ^nil };
		out = this.prOutputOf(words) ?? { dir +/+ "model.wav" };
		// the bundle after `--`: a path even when it starts with -
		^ConcatCorpus.runProgram(["train"] ++ words ++ ["--", dir], "SeqModel.train", { |ok|
			if(ok.not) { action.value(nil) } {
				if(loadOn.notNil) { this.load(loadOn, out, action) } { action.value(this.open(out)) }
			}
		})
	}

	// The value of -o / --output in command-line words, or nil.
	*prOutputOf { arg words;
		words.do { |w, i|
			if((w == "-o" or: { w == "--output" }) and: { i + 1 < words.size }) { ^words[i + 1].standardizePath }
		};
		^nil
	}

	/*
	Load the model file at `path` into a Buffer on `server` (default Server.default) and read its header on the
	language side. As ConcatCorpus.load (both go through ConcatSeqLoad.onServer): the load command is sent before
	load returns when the server is running or watched (Server.remote); when it is booting it is sent once it
	runs (ConcatSeqLoad.bootTimeout); else one error line is posted. action is called exactly once, on the
	AppClock and always after load has returned (also inside a Routine): with the SeqModel once the server has
	the Buffer, or with nil when the file is not a model file or the server is not running (the reason is
	posted). Returns the SeqModel (its Buffer is usable once action is called), or nil in those two failures.
	*/
	*load { arg server, path, action;
		var m = this.open(path);
		server = server ? Server.default;
		if(m.isNil) { ConcatSeqLoad.later(action, nil); ^nil };
		if(ConcatSeqLoad.onServer(server, "SeqModel.load", { m.prSendLoad(server) },
			{ |ok| action.value(if(ok) { m } { nil }) }).not) { ^nil };
		^m
	}

	/*
	Read only the header of the model file at `path` (no server): for info, and for NRT Scores (see
	scoreLoadCommands). Returns nil and posts an error when the file is missing or not a model file.
	*/
	*open { arg path;
		^super.new.prOpen(path.asString.standardizePath)
	}

	prOpen { arg argPath;
		var sf, h, f = ConcatSeqFormat, version;
		path = argPath;
		if(File.exists(path).not) { "SeqModel: no file %".format(path).error; ^nil };
		sf = SoundFile.openRead(path);
		if(sf.isNil) { "SeqModel: % is not a sound file (a model file is a mono float WAV)".format(path).error; ^nil };
		if(sf.numChannels != 1 or: { sf.numFrames < f.modelHeader }) {
			sf.close;
			"SeqModel: % is not a model file (% channels, % frames)".format(path, sf.numChannels, sf.numFrames).error;
			^nil
		};
		h = FloatArray.newClear(f.modelHeader);
		sf.readData(h);
		sf.close;
		if(h[f.mhMagic] != f.modelMagic) { "SeqModel: % is not a ConcatSeq model (bad magic number)".format(path).error; ^nil };
		version = h[f.mhVersion];
		if(version < f.modelVersionMin or: { version > f.modelVersion } or: { version.frac != 0 }) {
			"SeqModel: % has format version %; this SeqModel reads versions %..%".format(path, version,
				f.modelVersionMin, f.modelVersion).error; ^nil
		};
		if(version >= 2 and: { (h[f.mhPrecision] != 0 and: { h[f.mhPrecision] != f.precisionHalf })
			or: { h[f.mhPrecisionLayout] != 0 } }) {
			"SeqModel: % has weight precision % (layout %); this SeqModel reads 0 (float32) and % (half)".format(path,
				h[f.mhPrecision], h[f.mhPrecisionLayout], f.precisionHalf).error; ^nil
		};
		if(version >= 2 and: { h[f.mhPrecision] == f.precisionHalf } and: { h[f.mhDescInputs] != 0 }) {
			"SeqModel: % has half weights with descriptor inputs, which no reader runs; retrain it with --weights float"
				.format(path).error; ^nil
		};
		header = h;
		info = this.prInfo(h, sf.numFrames);
	}

	// The header as an Event: kind (\network, \ngram or \mixture: what the file plays, see models/FORMAT.md),
	// arch (\gru or \transformer: the file's network, never run when kind is \ngram), netWeight (the network's
	// weight in the mixture, 1 without an n-gram table), numLabels, width, layers, heads, context, dFF,
	// numWeights, epochs, trainTokens, trainLoss and valLoss (bits per label; nil when unknown), seed,
	// corpusChecksum (16 lowercase hex digits), formatVersion, numFrames (floats in the file), descInputs (the
	// descriptor inputs beside each label, 0 = none: models/FORMAT.md "Descriptor inputs"), weights (\float or
	// \half: IEEE half weights packed two per float, which SeqPredict runs as they are, models/FORMAT.md).
	prInfo { arg h, frames;
		var f = ConcatSeqFormat, split = { |i, n| f.modelSplit(h, i, n) };
		var loss = { |x| if(x < 0) { nil } { x } };
		var table = split.(f.mhNgramFloats, 2) > 0, w = if(table) { h[f.mhNetWeight] } { 1 };
		^(
			kind: if(table.not) { \network } { if(w > 0) { \mixture } { \ngram } }, netWeight: w,
			arch: f.archNames[h[f.mhArch].asInteger] ? h[f.mhArch],
			numLabels: h[f.mhVocab].asInteger, width: h[f.mhWidth].asInteger, layers: h[f.mhLayers].asInteger,
			heads: h[f.mhHeads].asInteger, context: h[f.mhContext].asInteger, dFF: h[f.mhDFF].asInteger,
			numWeights: split.(f.mhNumWeights, 2).asInteger,
			epochs: split.(f.mhEpochs, 2).asInteger, trainTokens: split.(f.mhTrainTokens, 2).asInteger,
			trainLoss: loss.(h[f.mhTrainLoss]), valLoss: loss.(h[f.mhValLoss]), seed: split.(f.mhSeed, 4),
			corpusChecksum: this.class.hexOf(f.modelPieces(h, f.mhCorpusSum, 4)),
			formatVersion: h[f.mhVersion].asInteger, numFrames: frames,
			descInputs: if(h[f.mhVersion] >= 2) { h[f.mhDescInputs].asInteger } { 0 },
			weights: if(h[f.mhVersion] >= 2 and: { h[f.mhPrecision] == f.precisionHalf }) { \half } { \float }
		)
	}

	// 16-bit pieces (most significant first) as lowercase hex digits, 4 per piece.
	*hexOf { arg pieces; ^pieces.collect { |x| x.asInteger.asHexString(4) }.join.toLower }

	/*
	A model belongs to its corpus: true when this model's stored corpus checksum (info[\corpusChecksum]) equals
	corpus.checksum (a ConcatCorpus's: 16 lowercase hex digits, the manifest's unit_table_checksum; a String of
	them is accepted too), or corpus.labelsFromChecksum (a corpus analysed with `concatseq analyze --labels-from A`
	carries A's labels, so A's models fit it: that choice was made at analysis). Otherwise posts ONE error line, prefixed by who (default "SeqModel"), naming the model,
	the corpus and the override (anyCorpus: true, for deliberate cross-corpus use, which callers accept) and
	returns false.
	*/
	checkCorpus { arg corpus, who;
		^this.class.prCheckCorpus(info !? { info[\corpusChecksum] }, path, corpus, who ? "SeqModel")
	}

	// The shared check of SeqModel:checkCorpus and SeqModelLang:checkCorpus.
	*prCheckCorpus { arg have, modelName, corpus, who;
		var want, name;
		want = if(corpus.isString) { corpus } { corpus !? { corpus.checksum } };
		want = want !? { want.asString.toLower };
		if(have.notNil and: { want.notNil } and: { have == want }) { ^true };
		// a corpus analysed with --labels-from A carries A's labels: A's models are accepted (chosen at analysis)
		if(have.notNil and: { corpus.isString.not } and: { corpus.tryPerform(\labelsFromChecksum) == have }) { ^true };
		name = if(corpus.isString) { "checksum" } { corpus.tryPerform(\dir) ? corpus };
		"%: model % was trained on corpus % but % is corpus % (pass anyCorpus: true to use it anyway)".format(
			who, modelName ? "(data)", have ? "(none)", name, want ? "(no checksum)").error;
		^false
	}

	// Allocate the Buffer and send its read command (ConcatSeqLoad.onServer calls this once the server runs).
	prSendLoad { arg argServer;
		server = argServer;
		buffer = Buffer.read(server, path);
	}

	/*
	For an NRT Score: a buffer number from `server` (default Server.default) or `bufnum`, and the Score entry
	that loads the model at `time`: [[time, [\b_allocRead, bufnum, path, 0, -1]]]. After this,
	SeqPredict.kr(model, ...) uses that buffer number.
	*/
	scoreLoadCommands { arg server, time = 0.0, bufnum;
		server = server ? Server.default;
		buffer = Buffer.new(server, info[\numFrames], 1, bufnum);
		^[[time, [\b_allocRead, buffer.bufnum, path, 0, -1]]]
	}

	// Number of labels (V): SeqPredict outputs 0 .. numLabels - 1.
	numLabels { ^info !? { info[\numLabels] } }

	// Architecture: \gru or \transformer.
	arch { ^info !? { info[\arch] } }
	// What the file plays: \network, \ngram (modified Kneser-Ney alone) or \mixture (see *read's info).
	kind { ^info !? { info[\kind] } }

	// Validation loss in bits per label (nil when unknown).
	valLoss { ^info !? { info[\valLoss] } }

	// The buffer number (for SeqPredict), or -1 when not loaded (SeqPredict then outputs -1).
	bufnum { ^buffer !? { buffer.bufnum } ?? { -1 } }

	// The buffer number, for SeqPredict's `model` and Synth arguments; an error when not loaded.
	asUGenInput {
		if(buffer.isNil) {
			Error("SeqModel: % is not loaded on a server (use SeqModel.load, or scoreLoadCommands for NRT)".format(path)).throw
		};
		^buffer.bufnum
	}
	asControlInput { ^this.asUGenInput }

	/*
	Replace the model with the file at `newPath` in the SAME Buffer (a playing SeqPredict notices the new data,
	verifies it and resets). action is called with this SeqModel after the server has it.
	*/
	reload { arg newPath, action;
		var m = SeqModel.open(newPath ? path);
		if(m.isNil) { action.value(nil); ^nil };
		if(buffer.isNil) { "SeqModel: not loaded on a server".error; action.value(nil); ^nil };
		path = m.path;
		header = m.header;
		info = m.info;
		{
			buffer.allocRead(path);
			server.sync;
			action.value(this);
		}.forkIfNeeded;
	}

	// Free the Buffer (a playing SeqPredict then outputs -1 and posts one message).
	free {
		buffer !? { buffer.free };
		buffer = nil;
	}

	printOn { arg stream;
		stream << "SeqModel(" << (path ? "").basename;
		info !? {
			stream << ": ";
			if(info[\kind] == \ngram) { stream << "n-gram" } {
				stream << info[\arch] << " " << info[\layers] << " x " << info[\width];
				if(info[\kind] == \mixture) { stream << " + n-gram" }
			};
			stream << ", " << info[\numLabels] << " labels";
			info[\valLoss] !? { stream << ", validation " << info[\valLoss].round(0.001) << " bits/label" };
		};
		stream << ")";
	}
}

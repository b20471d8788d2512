// ConcatCorpus: a corpus bundle (corpus-tools/BUNDLE.md) in sclang and on the server.
// *build runs the `concatseq analyze` program asynchronously; *load reads the manifest and the unit table and
// loads audio.wav and units.wav into two Buffers; *open reads only the metadata (for NRT Scores, see
// scoreLoadCommands). The unit table is also kept in sclang (a FloatArray) for unitsOf, labelOf and
// descriptorsOf.

ConcatCorpus {
	// Path of the concatseq program, overriding the search (see *findProgram).
	classvar <>program;

	var <dir, <manifest, <table, <server, <audioBuffer, <unitBuffer;
	var <numUnits, <numDescriptors, <stride, <numLabels, <numSources, <sampleRate, <numChannels, <numFrames;
	var labelsOffset, membersOffset, <descriptorNames, centers, scales;

	/*
	The concatseq program: ConcatCorpus.program if set, else the environment variable CONCATSEQ, else
	<this class's folder>/../bin/concatseq (where `cmake --install` puts it: <ext>/ConcatSeq/bin/concatseq),
	else `concatseq` on the PATH. Returns nil (and posts how to fix it) when none exists.
	*/
	*findProgram {
		var candidates = [program, "CONCATSEQ".getenv,
			PathName(this.filenameSymbol.asString).pathOnly +/+ ".." +/+ "bin" +/+ "concatseq"];
		var found = candidates.detect { |p| p.notNil and: { p.size > 0 } and: { File.exists(p) } };
		if(found.notNil) { ^found };
		found = "command -v concatseq".unixCmdGetStdOut.stripWhiteSpace;
		if(found.size > 0 and: { File.exists(found) }) { ^found };
		"ConcatCorpus: the concatseq program was not found. Looked at ConcatCorpus.program (%), $CONCATSEQ (%), % and the PATH. Install ConcatSeq with `cmake --install`, or set ConcatCorpus.program = \"/path/to/concatseq\".".format(
			program, "CONCATSEQ".getenv, candidates[2]).error;
		^nil
	}

	/*
	Analyse `sources` (a path or an Array of paths: audio files or folders) into the bundle directory `dir`,
	asynchronously. `options`: nil, an Array of command-line words (["--segment", "onset", "--clusters", 8]) or
	an Event/Dictionary (segment: \onset, clusters: 8, force: true). Progress lines are posted as they come.
	When the program ends: with server non-nil the bundle is loaded (*load) and action is called with the
	ConcatCorpus; with server nil action gets the directory. On failure posts the program's error and calls
	action with nil. Returns the pid, or nil if the program is missing.
	*/
	*build { arg server, sources, dir, options, action;
		sources = if(sources.isString) { [sources] } { sources.asArray };
		^this.runProgram(["analyze"] ++ sources.collect(_.standardizePath) ++ ["-o", dir.standardizePath]
			++ this.optionWords(options), "ConcatCorpus.build", { |ok|
				if(ok.not) { action.value(nil) } {
					if(server.notNil) { this.load(server, dir, action) } { action.value(dir) }
				}
			})
	}

	/*
	Run `concatseq WORDS... --progress lines` asynchronously (the program found by *findProgram), posting its
	progress lines as "NAME: stage done total detail" and its other output as it comes (polled every 0.25 s).
	onExit is called on the AppClock with true when the program exits with status 0, else false (the exit status
	is posted as an error). Returns the pid, or nil (and onExit.(false)) when the program is missing.
	*/
	*runProgram { arg words, name, onExit;
		var prog = this.findProgram, log, cmd, poll, seen = 0, pid, finished = false;
		if(prog.isNil) { onExit.value(false); ^nil };
		log = Platform.defaultTempDir +/+ "concatseq_%_%.log".format(Main.elapsedTime.asInteger, 1000000.rand);
		cmd = ([prog] ++ words ++ ["--progress", "lines"]).collect { |w| w.asString.shellQuote }.join(" ")
			+ ">" + log.shellQuote + "2>&1";
		poll = { |final = false|
			var text = File.exists(log).if { File.readAllString(log) } { "" };
			var lines;
			if(text.size > seen) {
				lines = text.copyRange(seen, text.size - 1);
				// post only complete lines, unless the program has ended
				if(final.not) { lines = lines.copyRange(0, (lines.findBackwards("\n") ? -1)) };
				seen = seen + lines.size;
				lines.split($\n).do { |l|
					if(l.size > 0) {
						if(l.beginsWith("progress ")) { (name ++ ": " ++ l.copyToEnd(9)).postln } { l.postln }
					}
				};
			};
		};
		pid = cmd.unixCmd({ |code|
			finished = true;
			poll.(true);
			File.delete(log);
			if(code != 0) { "%: concatseq failed (exit code %)".format(name, code).error };
			onExit.value(code == 0);
		}, false);
		Routine { while { finished.not } { poll.(false); 0.25.wait } }.play(AppClock);
		^pid
	}

	*optionWords { arg options;
		var words = List.new;
		if(options.isNil) { ^[] };
		if(options.isKindOf(Dictionary)) {
			options.keys.asArray.sort.do { |k|
				var v = options[k];
				if(v == true) { words.add("--" ++ k) } {
					if(v != false and: { v.notNil }) { words.add("--" ++ k); words.add(v.asString) }
				}
			};
			^words.asArray
		};
		^options.asArray.collect(_.asString)
	}

	/*
	Read the bundle `dir` (corpus.json and units.wav) and load audio.wav and units.wav into two Buffers on
	`server`; after the server has them (sync), calls action with the ConcatCorpus. Runs in a Routine (forks if
	needed). Returns the ConcatCorpus (its Buffers are usable once action is called); nil and an error if the
	bundle cannot be read.
	*/
	*load { arg server, dir, action;
		var c = this.open(dir);
		if(c.isNil) { action.value(nil); ^nil };
		server = server ? Server.default;
		c.prLoad(server, action);
		^c
	}

	/*
	Read only the metadata of the bundle `dir` (manifest and unit table), without a server: for NRT Scores
	(see scoreLoadCommands) and for inspection. Returns nil and posts an error if the bundle is not readable.
	*/
	*open { arg dir;
		^super.new.prOpen(dir.standardizePath)
	}

	prOpen { arg argDir;
		var json, sf, data, descs;
		dir = argDir;
		if(File.exists(dir +/+ "corpus.json").not) {
			"ConcatCorpus: % is not a corpus bundle (no corpus.json)".format(dir).error; ^nil
		};
		json = (dir +/+ "corpus.json").parseJSONFile;
		if(json.isNil or: { json["format"] != "concatseq-corpus" }) {
			"ConcatCorpus: % has no concatseq-corpus manifest".format(dir).error; ^nil
		};
		manifest = json;
		sf = SoundFile.openRead(dir +/+ "units.wav");
		if(sf.isNil) { "ConcatCorpus: cannot read %".format(dir +/+ "units.wav").error; ^nil };
		data = FloatArray.newClear(sf.numFrames * sf.numChannels);
		sf.readData(data);
		sf.close;
		if(data.size < 16 or: { data[0] != 4412245 } or: { data[1] != 1 }) {
			"ConcatCorpus: % is not a version 1 unit table".format(dir +/+ "units.wav").error; ^nil
		};
		table = data;
		numUnits = data[2].asInteger;
		numDescriptors = data[3].asInteger;
		stride = data[4].asInteger;
		sampleRate = data[6];
		numChannels = data[7].asInteger;
		numFrames = data[8] * 65536 + data[9];
		numLabels = data[10].asInteger;
		numSources = data[11].asInteger;
		labelsOffset = data[13].asInteger;
		membersOffset = data[14].asInteger;
		descs = manifest["descriptors"] ? [];
		descriptorNames = descs.collect { |d| d["name"].asSymbol };
		centers = descs.collect { |d| d["center"].asFloat };
		scales = descs.collect { |d| d["scale"].asFloat };
	}

	prLoad { arg argServer, action;
		server = argServer;
		{
			audioBuffer = Buffer.read(server, dir +/+ "audio.wav");
			unitBuffer = Buffer.read(server, dir +/+ "units.wav");
			server.sync;
			action.value(this);
		}.forkIfNeeded;
	}

	/*
	For an NRT Score: allocates two buffer numbers from `server` (default Server.default; or give bufnums
	audioBufnum, unitBufnum) and returns the Score entries that load the bundle at `time`:
	[[time, [\b_allocRead, audio, path, 0, -1]], [time, [\b_allocRead, units, path, 0, -1]]].
	After this, ConcatPlay.ar(n, corpus, ...) uses these buffer numbers.
	*/
	scoreLoadCommands { arg server, time = 0.0, audioBufnum, unitBufnum;
		server = server ? Server.default;
		audioBuffer = Buffer.new(server, numFrames, numChannels, audioBufnum);
		unitBuffer = Buffer.new(server, table.size, 1, unitBufnum);
		^[
			[time, [\b_allocRead, audioBuffer.bufnum, dir +/+ "audio.wav", 0, -1]],
			[time, [\b_allocRead, unitBuffer.bufnum, dir +/+ "units.wav", 0, -1]]
		]
	}

	// Duration of the packed audio in seconds.
	duration { ^numFrames / sampleRate }

	// Label of unit u (an Integer 0..numLabels-1), or nil for a bad unit.
	labelOf { arg u;
		if(u.isNil or: { u < 0 } or: { u >= numUnits }) { ^nil };
		^table[16 + (u.asInteger * stride) + 4].asInteger
	}

	// Units of label k, in unit order (an Array of Integers; empty for a bad label).
	unitsOf { arg k;
		var first, count;
		if(k.isNil or: { k < 0 } or: { k >= numLabels }) { ^[] };
		first = table[labelsOffset + (2 * k)].asInteger;
		count = table[labelsOffset + (2 * k) + 1].asInteger;
		^table.copyRange(membersOffset + first, membersOffset + first + count - 1).asArray.collect(_.asInteger)
	}

	// Start frame of unit u in the packed audio.
	startOf { arg u; var r = 16 + (u.asInteger * stride); ^table[r] * 65536 + table[r + 1] }

	// Length of unit u in frames.
	lengthOf { arg u; var r = 16 + (u.asInteger * stride); ^table[r + 2] * 65536 + table[r + 3] }

	// Original successor of unit u (-1 at the end of a source).
	successorOf { arg u; ^table[16 + (u.asInteger * stride) + 6].asInteger }

	// Normalised descriptors of unit u (as stored in the table; z-scores).
	normalisedDescriptorsOf { arg u;
		var r = 16 + (u.asInteger * stride) + 8;
		^table.copyRange(r, r + numDescriptors - 1).asArray
	}

	// Descriptors of unit u in their own units (raw = normalised * scale + center), an Event keyed by name.
	descriptorsOf { arg u;
		var n = this.normalisedDescriptorsOf(u), ev = ();
		descriptorNames.do { |name, i| ev[name] = n[i] * scales[i] + centers[i] };
		^ev
	}

	// The normalised value of a raw descriptor value (for ConcatPlay's `target`).
	normalise { arg name, raw;
		var i = descriptorNames.indexOf(name.asSymbol);
		if(i.isNil) { Error("ConcatCorpus: no descriptor named %".format(name)).throw };
		^(raw - centers[i]) / scales[i]
	}

	// Audition unit u once (2 channels, centre). Returns the Synth.
	playUnit { arg u, out = 0, amp = 1, pan = 0;
		var dur;
		if(server.isNil) { "ConcatCorpus: not loaded on a server".error; ^nil };
		if(u.isNil or: { u < 0 } or: { u >= numUnits }) { "ConcatCorpus: no unit %".format(u).error; ^nil };
		dur = this.lengthOf(u) / sampleRate + 0.05;
		^{
			var sig = ConcatPlay.ar(2, [audioBuffer.bufnum, unitBuffer.bufnum], 1, unit: u, amp: amp, pan: pan);
			Line.kr(0, 0, dur, doneAction: 2);
			sig
		}.play(server, out)
	}

	// Free the two Buffers.
	free {
		audioBuffer !? { audioBuffer.free };
		unitBuffer !? { unitBuffer.free };
		audioBuffer = unitBuffer = nil;
	}

	printOn { arg stream;
		stream << "ConcatCorpus(" << dir.basename << ": " << numUnits << " units, " << numLabels << " labels, "
		<< this.duration.round(0.01) << " s)";
	}
}

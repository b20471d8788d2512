// ConcatSeqLabelRecorder.sc - records the labels a pattern or a synth actually played and writes them as the label
// file `concatseq train BUNDLE --labels FILE` trains on (corpus-tools/src/cs_label_file.h: integers separated by
// white space, a blank line between parts, # comments), so a model learns a sequence of one's own.

/*
Records labels in parts (a part = a source of the training file: the model never learns a step across a part
boundary). Labels are Integers 0 .. numLabels - 1 of the corpus the model will play; nil and negative values
(rests: label -1) are not recorded. Language-side only: nothing runs on the server but the SendReply of *kr.
*/
ConcatSeqLabelRecorder {
	classvar <defaultCmd = '/concatseqLabel';
	var <parts, <numLabels, responder;

	/* A recorder; numLabels (optional: the corpus's label count, e.g. corpus.numLabels) makes add refuse a label
	out of range with one error line, as `concatseq train --labels` would. */
	*new { arg numLabels;
		^super.new.init(numLabels)
	}

	init { arg argNumLabels;
		numLabels = argNumLabels;
		parts = List[List[]];
	}

	/* Record one label (a number: rounded to an Integer). nil or a negative label (a rest) is ignored and
	returns false; a label >= numLabels (when given) or not finite posts one error line and returns false;
	else true. */
	add { arg label;
		var l;
		if(label.isNil or: { label.isNumber.not }) { ^false };
		if(label.isNaN or: { label.abs == inf }) {
			"ConcatSeqLabelRecorder: label % is not a number: not recorded".format(label).error;
			^false
		};
		l = label.round.asInteger;
		if(l < 0) { ^false };
		if(numLabels.notNil and: { l >= numLabels }) {
			"ConcatSeqLabelRecorder: label % is out of range 0..% (the corpus has % labels): not recorded".format(
				l, numLabels - 1, numLabels).error;
			^false
		};
		parts.last.add(l);
		^true
	}

	/* End the current part: the next label begins a new one (a blank line in the file). */
	newPart {
		if(parts.last.notEmpty) { parts.add(List[]) }
	}

	/* All labels recorded, in order, as one Array (parts joined). */
	labels { ^parts.flat.asArray }

	/* Forget everything recorded (the responder of listen stays). */
	clear { parts = List[List[]] }

	/* An event pattern that plays `pattern` and records the label of every event it yields: event[key] (default
	\label), or, when the event has none, the label of its \unit in its \corpus (corpus.labelOf: a \concatseq
	event fed by Pconcatunit). Rests are not recorded (a rest event, a label nil or -1). */
	record { arg pattern, key = \label;
		^pattern.collect { |ev|
			var l;
			if(ev.notNil and: { ev.isRest.not }) {
				l = ev[key];
				if(l.isNil and: { ev[\unit].isNumber } and: { ev[\corpus].respondsTo(\labelOf) }) {
					l = ev[\corpus].labelOf(ev[\unit])
				};
				this.add(l)
			};
			ev
		}
	}

	/* A value pattern (e.g. Pseqpredict's labels) that records every value it yields and passes it on. */
	recordValues { arg pattern;
		^pattern.collect { |v| this.add(v); v }
	}

	/* For a synth: SendReply.kr(trig, cmdName, label), to put in a SynthDef beside ConcatPlay (e.g. with
	SeqPredict's label output and ConcatPlay's trig); the recorder's listen records each reply. Control rate. */
	*kr { arg trig, label, cmdName;
		^SendReply.kr(trig, cmdName ? defaultCmd, label)
	}

	/* Record the labels that *kr's SendReply sends from `server` (default Server.default), optionally only from
	node `nodeID` (a Synth or a node number). One OSCFunc; call stopListening (or free) to end it. Returns this. */
	listen { arg server, nodeID, cmdName;
		var id = nodeID !? { nodeID.tryPerform(\nodeID) ? nodeID };
		this.stopListening;
		responder = OSCFunc({ |msg|
			if(id.isNil or: { msg[1] == id }) { this.add(msg[3]) }
		}, cmdName ? defaultCmd, (server ? Server.default).addr);
		^this
	}

	stopListening {
		responder !? { responder.free };
		responder = nil
	}

	free { this.stopListening }

	/* The label file's text: a header comment, then per part one line of labels separated by spaces (20 a line),
	parts separated by a blank line. */
	asLabelText {
		var text = "# labels recorded by ConcatSeqLabelRecorder: concatseq train BUNDLE --labels FILE\n";
		var nonEmpty = parts.reject(_.isEmpty);
		nonEmpty.do { |p, i|
			if(i > 0) { text = text ++ "\n" };
			p.clump(20).do { |row| text = text ++ row.join(" ") ++ "\n" };
		};
		^text
	}

	/* Write the file for `concatseq train BUNDLE --labels path` (replacing it). Returns path, or nil after one
	error line when nothing was recorded or the file cannot be written. */
	write { arg path;
		var f;
		if(this.labels.isEmpty) {
			"ConcatSeqLabelRecorder: nothing recorded: % not written".format(path).error;
			^nil
		};
		f = File(path.standardizePath, "w");
		if(f.isOpen.not) {
			"ConcatSeqLabelRecorder: cannot write % (check the folder exists and is writable)".format(path).error;
			^nil
		};
		f.write(this.asLabelText);
		f.close;
		^path
	}
}

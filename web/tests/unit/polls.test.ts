import { describe, expect, it } from 'vitest';
import { buildNewPoll, mergePoll, pollCsv, pollJson, pollResults, type PollForm } from '../../src/polls';
import type { Poll } from '../../src/protocol';
import { initialRoom, reduceRoom } from '../../src/roomState';

const poll = (patch: Partial<Poll> = {}): Poll => ({
  id: 1,
  question: 'Where do we meet?',
  options: ['Berlin', 'Hamburg', '=cmd'],
  multiple: false,
  anonymous: false,
  results: 'live',
  open: true,
  shared: false,
  closes_at: null,
  answer_count: 4,
  counts: [3, 1, 0],
  answers: null,
  my_choices: [0],
  ...patch,
});

const form = (patch: Partial<PollForm> = {}): PollForm => ({
  question: ' Lunch? ',
  options: ['Yes', '', ' No '],
  multiple: false,
  anonymous: true,
  results: 'at_close',
  minutes: '',
  ...patch,
});

describe('poll state', () => {
  it('keeps the own choices of an anonymous poll the server has forgotten at close', () => {
    const open = poll({ anonymous: true, my_choices: [1] });
    const closed = poll({ anonymous: true, open: false, my_choices: null });
    expect(mergePoll(open, closed).my_choices).toEqual([1]);
    // A different poll never inherits them.
    expect(mergePoll(open, { ...closed, id: 2 }).my_choices).toBeNull();
    expect(mergePoll(null, closed).my_choices).toBeNull();
  });

  it('is folded into the room state by poll.state', () => {
    const first = reduceRoom(initialRoom, { type: 'poll.state', payload: poll({ my_choices: [2] }) });
    expect(first.poll?.counts).toEqual([3, 1, 0]);
    const next = reduceRoom(first, { type: 'poll.state', payload: poll({ open: false, my_choices: null, anonymous: true }) });
    expect(next.poll?.open).toBe(false);
    expect(next.poll?.my_choices).toEqual([2]);
  });
});

describe('create form', () => {
  it('builds the payload, leaving out empty rows and trimming', () => {
    expect(buildNewPoll(form())).toEqual({
      poll: { question: 'Lunch?', options: ['Yes', 'No'], multiple: false, anonymous: true, results: 'at_close' },
    });
    expect(buildNewPoll(form({ minutes: '1.5' }))).toMatchObject({ poll: { duration_secs: 90 } });
  });

  it('names the first problem as the server would refuse it', () => {
    expect(buildNewPoll(form({ question: '  ' }))).toEqual({ problem: 'question' });
    expect(buildNewPoll(form({ question: 'x'.repeat(301) }))).toEqual({ problem: 'question' });
    expect(buildNewPoll(form({ options: ['Yes', ''] }))).toEqual({ problem: 'optionCount' });
    expect(buildNewPoll(form({ options: Array.from({ length: 11 }, (_, i) => `o${i}`) }))).toEqual({ problem: 'optionCount' });
    expect(buildNewPoll(form({ options: ['a', 'b'.repeat(101)] }))).toEqual({ problem: 'optionLength' });
    expect(buildNewPoll(form({ options: ['a', 'a '] }))).toEqual({ problem: 'optionTwice' });
    for (const minutes of ['0.1', '1441', 'soon', '-5']) {
      expect(buildNewPoll(form({ minutes }))).toEqual({ problem: 'duration' });
    }
  });
});

describe('results and export', () => {
  it('shares are of the people who answered, and hidden counts stay hidden', () => {
    expect(pollResults(poll())).toEqual([
      { option: 'Berlin', count: 3, percent: 75 },
      { option: 'Hamburg', count: 1, percent: 25 },
      { option: '=cmd', count: 0, percent: 0 },
    ]);
    expect(pollResults(poll({ answer_count: 0, counts: [0, 0, 0] }))?.map((r) => r.percent)).toEqual([0, 0, 0]);
    expect(pollResults(poll({ counts: null }))).toBeNull();
  });

  it('CSV quotes every cell, defuses formulas and lists who chose what', () => {
    const labels = { option: 'Option', count: 'Count', name: 'Name', choices: 'Choices' };
    const named = poll({
      multiple: true,
      answers: [
        { display_name: 'Ada "the first"', choices: [0, 1] },
        { display_name: '@Bo', choices: [2] },
      ],
    });
    expect(pollCsv(named, labels)).toBe(
      [
        '"Option","Count"',
        '"Berlin","3"',
        '"Hamburg","1"',
        `"'=cmd","0"`,
        '',
        '"Name","Choices"',
        '"Ada ""the first""","Berlin; Hamburg"',
        `"'@Bo","'=cmd"`,
        '',
      ].join('\r\n'),
    );
    expect(pollCsv(poll({ counts: null }), labels)).toBe('"Option","Count"\r\n');
  });

  it('JSON names options by their text', () => {
    const json = JSON.parse(pollJson(poll({ answers: [{ display_name: 'Ada', choices: [1] }] }), new Date('2027-01-15T08:00:00Z')));
    expect(json).toEqual({
      poll_id: 1,
      question: 'Where do we meet?',
      multiple: false,
      anonymous: false,
      open: true,
      answer_count: 4,
      results: [
        { option: 'Berlin', count: 3 },
        { option: 'Hamburg', count: 1 },
        { option: '=cmd', count: 0 },
      ],
      answers: [{ name: 'Ada', choices: ['Hamburg'] }],
      exported_at: '2027-01-15T08:00:00.000Z',
    });
  });
});

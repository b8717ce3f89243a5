// Practice mode's fixed facts: the article's hosts, and a password the lab accepts for accounts that
// declare none. It is never used outside practice mode (the lab is the only thing that receives it).
export const PRACTICE_TARGET = { jumpServer: 'adfs1.company.pri', target: 'mem2.company.pri', account: 'COMPANY\\Administrator' } as const;
export const PRACTICE_PASSWORD = 'practice-only-password';

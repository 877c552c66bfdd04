/* eslint-disable */
import * as types from './graphql';



/**
 * Map of all GraphQL operations in the project.
 *
 * This map has several performance disadvantages:
 * 1. It is not tree-shakeable, so it will include all operations in the project.
 * 2. It is not minifiable, so the string of a GraphQL query will be multiple times inside the bundle.
 * 3. It does not support dead code elimination, so it will add unused operations.
 *
 * Therefore it is highly recommended to use the babel or swc plugin for production.
 * Learn more about it here: https://the-guild.dev/graphql/codegen/plugins/presets/preset-client#reducing-bundle-size
 */
type Documents = {
    "\n  query Viewer {\n    viewer { user { id name email } workspace { id name } scopes }\n  }\n": typeof types.ViewerDocument,
    "\n  query Processes($first: Int!, $after: String, $search: String) {\n    processes(first: $first, after: $after, filter: { nameContains: $search }) {\n      totalCount\n      pageInfo { hasNextPage endCursor }\n      edges {\n        node {\n          id\n          name\n          dueDate\n          modified { dateTime user { id name } }\n          run { id status manager { id name } }\n        }\n      }\n    }\n  }\n": typeof types.ProcessesDocument,
    "\n  query ProcessTree($id: ID!) {\n    process(id: $id) {\n      id\n      name\n      dueDate\n      created { dateTime user { id name } }\n      nodes {\n        __typename\n        ... on ProcessGroup { id name parentId ordinal parallel }\n        ... on ProcessJob {\n          id\n          name\n          parentId\n          ordinal\n          action\n          arguments {\n            __typename\n            ... on SendTaskArgs { dueDate assigneeUser { id name } approverUser { id name } }\n            ... on ContentRequestArgs { dueDate assigneeUser { id name } approverUser { id name } }\n            ... on CertificationArgs { dueDate signerSteps { members { id name } } approverSteps { members { id name } } }\n            ... on GeneratedCertificationArgs { person { id name } }\n          }\n        }\n      }\n    }\n  }\n": typeof types.ProcessTreeDocument,
    "\n  mutation RunStart($processId: ID!) {\n    runStart(input: { processId: $processId }) {\n      errors { code message }\n      run { id }\n    }\n  }\n": typeof types.RunStartDocument,
    "\n  fragment InboxJobRun on JobRun {\n    id\n    name\n    actionStatus\n    dueDate\n    overdue\n    revision\n    lastComment { comment at user { id name } }\n    runId\n    run { id name manager { id name } }\n    arguments {\n      __typename\n      ... on SendTaskArgs { instructions assigneeUser { id name } approverUser { id name } }\n      ... on ContentRequestArgs { instructions assigneeUser { id name } approverUser { id name } }\n    }\n  }\n": typeof types.InboxJobRunFragmentDoc,
    "\n  query Inbox {\n    liveCursor\n    viewer { jobRuns { ...InboxJobRun } }\n  }\n": typeof types.InboxDocument,
    "\n  subscription InboxChanges($after: String) {\n    inboxChanges(afterCursor: $after) {\n      cursor\n      kind\n      jobRunId\n      jobRun { ...InboxJobRun }\n    }\n  }\n": typeof types.InboxChangesDocument,
    "\n  mutation Submit($id: ID!, $comment: String, $revision: Int) {\n    jobRunSubmit(input: { id: $id, comment: $comment, expectedRevision: $revision }) { errors { code message } }\n  }\n": typeof types.SubmitDocument,
    "\n  mutation Approve($id: ID!, $comment: String, $revision: Int) {\n    jobRunApprove(input: { id: $id, comment: $comment, expectedRevision: $revision }) { errors { code message } }\n  }\n": typeof types.ApproveDocument,
    "\n  mutation Return($id: ID!, $comment: String!, $revision: Int) {\n    jobRunReturn(input: { id: $id, comment: $comment, expectedRevision: $revision }) { errors { code message } }\n  }\n": typeof types.ReturnDocument,
    "\n  query Run($id: ID!) {\n    processRun(id: $id) {\n      id\n      name\n      status\n      dueDate\n      manager { id name }\n      created { dateTime }\n      statusCounts { status count }\n      nodes {\n        __typename\n        ... on GroupRun { id name parentId ordinal status }\n        ... on JobRun {\n          id\n          name\n          parentId\n          ordinal\n          status\n          actionStatus\n          dueDate\n          lastComment { comment }\n          arguments {\n            __typename\n            ... on SendTaskArgs { assigneeUser { id name } approverUser { id name } }\n            ... on ContentRequestArgs { assigneeUser { id name } approverUser { id name } }\n            ... on GeneratedCertificationArgs { person { id name } }\n          }\n        }\n      }\n    }\n  }\n": typeof types.RunDocument,
    "\n  subscription RunEvents($runId: ID!, $after: Int!) {\n    runEvents(runId: $runId, afterSequence: $after) {\n      sequence\n      nodeId\n      nodeKind\n      field\n      fromValue\n      toValue\n      at\n      comment\n      user { id name }\n    }\n  }\n": typeof types.RunEventsDocument,
};
const documents: Documents = {
    "\n  query Viewer {\n    viewer { user { id name email } workspace { id name } scopes }\n  }\n": types.ViewerDocument,
    "\n  query Processes($first: Int!, $after: String, $search: String) {\n    processes(first: $first, after: $after, filter: { nameContains: $search }) {\n      totalCount\n      pageInfo { hasNextPage endCursor }\n      edges {\n        node {\n          id\n          name\n          dueDate\n          modified { dateTime user { id name } }\n          run { id status manager { id name } }\n        }\n      }\n    }\n  }\n": types.ProcessesDocument,
    "\n  query ProcessTree($id: ID!) {\n    process(id: $id) {\n      id\n      name\n      dueDate\n      created { dateTime user { id name } }\n      nodes {\n        __typename\n        ... on ProcessGroup { id name parentId ordinal parallel }\n        ... on ProcessJob {\n          id\n          name\n          parentId\n          ordinal\n          action\n          arguments {\n            __typename\n            ... on SendTaskArgs { dueDate assigneeUser { id name } approverUser { id name } }\n            ... on ContentRequestArgs { dueDate assigneeUser { id name } approverUser { id name } }\n            ... on CertificationArgs { dueDate signerSteps { members { id name } } approverSteps { members { id name } } }\n            ... on GeneratedCertificationArgs { person { id name } }\n          }\n        }\n      }\n    }\n  }\n": types.ProcessTreeDocument,
    "\n  mutation RunStart($processId: ID!) {\n    runStart(input: { processId: $processId }) {\n      errors { code message }\n      run { id }\n    }\n  }\n": types.RunStartDocument,
    "\n  fragment InboxJobRun on JobRun {\n    id\n    name\n    actionStatus\n    dueDate\n    overdue\n    revision\n    lastComment { comment at user { id name } }\n    runId\n    run { id name manager { id name } }\n    arguments {\n      __typename\n      ... on SendTaskArgs { instructions assigneeUser { id name } approverUser { id name } }\n      ... on ContentRequestArgs { instructions assigneeUser { id name } approverUser { id name } }\n    }\n  }\n": types.InboxJobRunFragmentDoc,
    "\n  query Inbox {\n    liveCursor\n    viewer { jobRuns { ...InboxJobRun } }\n  }\n": types.InboxDocument,
    "\n  subscription InboxChanges($after: String) {\n    inboxChanges(afterCursor: $after) {\n      cursor\n      kind\n      jobRunId\n      jobRun { ...InboxJobRun }\n    }\n  }\n": types.InboxChangesDocument,
    "\n  mutation Submit($id: ID!, $comment: String, $revision: Int) {\n    jobRunSubmit(input: { id: $id, comment: $comment, expectedRevision: $revision }) { errors { code message } }\n  }\n": types.SubmitDocument,
    "\n  mutation Approve($id: ID!, $comment: String, $revision: Int) {\n    jobRunApprove(input: { id: $id, comment: $comment, expectedRevision: $revision }) { errors { code message } }\n  }\n": types.ApproveDocument,
    "\n  mutation Return($id: ID!, $comment: String!, $revision: Int) {\n    jobRunReturn(input: { id: $id, comment: $comment, expectedRevision: $revision }) { errors { code message } }\n  }\n": types.ReturnDocument,
    "\n  query Run($id: ID!) {\n    processRun(id: $id) {\n      id\n      name\n      status\n      dueDate\n      manager { id name }\n      created { dateTime }\n      statusCounts { status count }\n      nodes {\n        __typename\n        ... on GroupRun { id name parentId ordinal status }\n        ... on JobRun {\n          id\n          name\n          parentId\n          ordinal\n          status\n          actionStatus\n          dueDate\n          lastComment { comment }\n          arguments {\n            __typename\n            ... on SendTaskArgs { assigneeUser { id name } approverUser { id name } }\n            ... on ContentRequestArgs { assigneeUser { id name } approverUser { id name } }\n            ... on GeneratedCertificationArgs { person { id name } }\n          }\n        }\n      }\n    }\n  }\n": types.RunDocument,
    "\n  subscription RunEvents($runId: ID!, $after: Int!) {\n    runEvents(runId: $runId, afterSequence: $after) {\n      sequence\n      nodeId\n      nodeKind\n      field\n      fromValue\n      toValue\n      at\n      comment\n      user { id name }\n    }\n  }\n": types.RunEventsDocument,
};

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Viewer {\n    viewer { user { id name email } workspace { id name } scopes }\n  }\n"): typeof import('./graphql').ViewerDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Processes($first: Int!, $after: String, $search: String) {\n    processes(first: $first, after: $after, filter: { nameContains: $search }) {\n      totalCount\n      pageInfo { hasNextPage endCursor }\n      edges {\n        node {\n          id\n          name\n          dueDate\n          modified { dateTime user { id name } }\n          run { id status manager { id name } }\n        }\n      }\n    }\n  }\n"): typeof import('./graphql').ProcessesDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ProcessTree($id: ID!) {\n    process(id: $id) {\n      id\n      name\n      dueDate\n      created { dateTime user { id name } }\n      nodes {\n        __typename\n        ... on ProcessGroup { id name parentId ordinal parallel }\n        ... on ProcessJob {\n          id\n          name\n          parentId\n          ordinal\n          action\n          arguments {\n            __typename\n            ... on SendTaskArgs { dueDate assigneeUser { id name } approverUser { id name } }\n            ... on ContentRequestArgs { dueDate assigneeUser { id name } approverUser { id name } }\n            ... on CertificationArgs { dueDate signerSteps { members { id name } } approverSteps { members { id name } } }\n            ... on GeneratedCertificationArgs { person { id name } }\n          }\n        }\n      }\n    }\n  }\n"): typeof import('./graphql').ProcessTreeDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation RunStart($processId: ID!) {\n    runStart(input: { processId: $processId }) {\n      errors { code message }\n      run { id }\n    }\n  }\n"): typeof import('./graphql').RunStartDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment InboxJobRun on JobRun {\n    id\n    name\n    actionStatus\n    dueDate\n    overdue\n    revision\n    lastComment { comment at user { id name } }\n    runId\n    run { id name manager { id name } }\n    arguments {\n      __typename\n      ... on SendTaskArgs { instructions assigneeUser { id name } approverUser { id name } }\n      ... on ContentRequestArgs { instructions assigneeUser { id name } approverUser { id name } }\n    }\n  }\n"): typeof import('./graphql').InboxJobRunFragmentDoc;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Inbox {\n    liveCursor\n    viewer { jobRuns { ...InboxJobRun } }\n  }\n"): typeof import('./graphql').InboxDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription InboxChanges($after: String) {\n    inboxChanges(afterCursor: $after) {\n      cursor\n      kind\n      jobRunId\n      jobRun { ...InboxJobRun }\n    }\n  }\n"): typeof import('./graphql').InboxChangesDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation Submit($id: ID!, $comment: String, $revision: Int) {\n    jobRunSubmit(input: { id: $id, comment: $comment, expectedRevision: $revision }) { errors { code message } }\n  }\n"): typeof import('./graphql').SubmitDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation Approve($id: ID!, $comment: String, $revision: Int) {\n    jobRunApprove(input: { id: $id, comment: $comment, expectedRevision: $revision }) { errors { code message } }\n  }\n"): typeof import('./graphql').ApproveDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation Return($id: ID!, $comment: String!, $revision: Int) {\n    jobRunReturn(input: { id: $id, comment: $comment, expectedRevision: $revision }) { errors { code message } }\n  }\n"): typeof import('./graphql').ReturnDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Run($id: ID!) {\n    processRun(id: $id) {\n      id\n      name\n      status\n      dueDate\n      manager { id name }\n      created { dateTime }\n      statusCounts { status count }\n      nodes {\n        __typename\n        ... on GroupRun { id name parentId ordinal status }\n        ... on JobRun {\n          id\n          name\n          parentId\n          ordinal\n          status\n          actionStatus\n          dueDate\n          lastComment { comment }\n          arguments {\n            __typename\n            ... on SendTaskArgs { assigneeUser { id name } approverUser { id name } }\n            ... on ContentRequestArgs { assigneeUser { id name } approverUser { id name } }\n            ... on GeneratedCertificationArgs { person { id name } }\n          }\n        }\n      }\n    }\n  }\n"): typeof import('./graphql').RunDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription RunEvents($runId: ID!, $after: Int!) {\n    runEvents(runId: $runId, afterSequence: $after) {\n      sequence\n      nodeId\n      nodeKind\n      field\n      fromValue\n      toValue\n      at\n      comment\n      user { id name }\n    }\n  }\n"): typeof import('./graphql').RunEventsDocument;


export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}

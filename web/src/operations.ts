// Every GraphQL operation the web client sends. GraphQL Code Generator's client preset reads these
// graphql() calls and writes their result and variable types to src/gql/ (npm run codegen); each call then
// returns a TypedDocumentString, so a query's data and variables are checked by tsc against schema.graphql.
import { graphql } from "./gql";

export const Viewer = graphql(`
  query Viewer {
    viewer { user { id name email } workspace { id name } scopes }
  }
`);

export const Processes = graphql(`
  query Processes($first: Int!, $after: String, $search: String) {
    processes(first: $first, after: $after, filter: { nameContains: $search }) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges {
        node {
          id
          name
          dueDate
          modified { dateTime user { id name } }
          run { id status manager { id name } }
        }
      }
    }
  }
`);

export const ProcessTree = graphql(`
  query ProcessTree($id: ID!) {
    process(id: $id) {
      id
      name
      dueDate
      created { dateTime user { id name } }
      nodes {
        __typename
        ... on ProcessGroup { id name parentId ordinal parallel }
        ... on ProcessJob {
          id
          name
          parentId
          ordinal
          action
          arguments {
            __typename
            ... on SendTaskArgs { dueDate assigneeUser { id name } approverUser { id name } }
            ... on ContentRequestArgs { dueDate assigneeUser { id name } approverUser { id name } }
            ... on CertificationArgs { dueDate signerSteps { members { id name } } approverSteps { members { id name } } }
            ... on GeneratedCertificationArgs { person { id name } }
          }
        }
      }
    }
  }
`);

export const RunStart = graphql(`
  mutation RunStart($processId: ID!) {
    runStart(input: { processId: $processId }) {
      errors { code message }
      run { id }
    }
  }
`);

export const InboxJobRun = graphql(`
  fragment InboxJobRun on JobRun {
    id
    name
    actionStatus
    dueDate
    overdue
    revision
    lastComment { comment at user { id name } }
    runId
    run { id name manager { id name } }
    arguments {
      __typename
      ... on SendTaskArgs { instructions assigneeUser { id name } approverUser { id name } }
      ... on ContentRequestArgs { instructions assigneeUser { id name } approverUser { id name } }
    }
  }
`);

export const Inbox = graphql(`
  query Inbox {
    liveCursor
    viewer { jobRuns { ...InboxJobRun } }
  }
`);

export const InboxChanges = graphql(`
  subscription InboxChanges($after: String) {
    inboxChanges(afterCursor: $after) {
      cursor
      kind
      jobRunId
      jobRun { ...InboxJobRun }
    }
  }
`);

export const Submit = graphql(`
  mutation Submit($id: ID!, $comment: String, $revision: Int) {
    jobRunSubmit(input: { id: $id, comment: $comment, expectedRevision: $revision }) { errors { code message } }
  }
`);

export const Approve = graphql(`
  mutation Approve($id: ID!, $comment: String, $revision: Int) {
    jobRunApprove(input: { id: $id, comment: $comment, expectedRevision: $revision }) { errors { code message } }
  }
`);

export const Return = graphql(`
  mutation Return($id: ID!, $comment: String!, $revision: Int) {
    jobRunReturn(input: { id: $id, comment: $comment, expectedRevision: $revision }) { errors { code message } }
  }
`);

export const Run = graphql(`
  query Run($id: ID!) {
    processRun(id: $id) {
      id
      name
      status
      dueDate
      manager { id name }
      created { dateTime }
      statusCounts { status count }
      nodes {
        __typename
        ... on GroupRun { id name parentId ordinal status }
        ... on JobRun {
          id
          name
          parentId
          ordinal
          status
          actionStatus
          dueDate
          lastComment { comment }
          arguments {
            __typename
            ... on SendTaskArgs { assigneeUser { id name } approverUser { id name } }
            ... on ContentRequestArgs { assigneeUser { id name } approverUser { id name } }
            ... on GeneratedCertificationArgs { person { id name } }
          }
        }
      }
    }
  }
`);

export const RunEvents = graphql(`
  subscription RunEvents($runId: ID!, $after: Int!) {
    runEvents(runId: $runId, afterSequence: $after) {
      sequence
      nodeId
      nodeKind
      field
      fromValue
      toValue
      at
      comment
      user { id name }
    }
  }
`);
